/// A store failure that callers tell apart from the rest.
public struct JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The store cannot be reached; retry later.
        case unavailable
        /// The idempotency key was used before for a different request.
        case idempotencyConflict
        /// The `sessionId` belongs to another user.
        case sessionNotOwned
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func unavailable(_ message: String) -> Self { .init(.unavailable, message) }

    public var description: String { "\(code.rawValue): \(message)" }
}
