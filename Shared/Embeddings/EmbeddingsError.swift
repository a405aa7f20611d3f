/// Why texts could not be embedded.
public struct EmbeddingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Connection refused or lost, or a 5xx or 429.
        case unavailable = "embeddings_unavailable"
        /// No answer within the timeout.
        case timedOut = "embeddings_timeout"
        /// A 4xx other than 429: the key, the model's name or the input was refused.
        case rejected = "embeddings_rejected"
        /// Not the shape of an embeddings response, or not one vector per text.
        case malformedResponse = "embeddings_malformed_response"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
