/// Why a knowledge store cannot do what was asked.
public struct KnowledgeStoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The database cannot store or search vectors (Postgres without pgvector).
        case vectorsUnavailable = "vectors_unavailable"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
