/// Why a stream token was refused.
public struct StreamTokenError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// No token came with the request.
        case missing = "missing_token"
        /// Not a token we signed: malformed, forged, unknown key, wrong algorithm.
        case invalid = "invalid_token"
        /// Signed by us, but past its `exp`.
        case expired = "expired_token"
        /// A valid token for another job.
        case wrongJob = "token_for_other_job"
        /// A valid token for the other assistant.
        case wrongAudience = "token_for_other_assistant"
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }

    /// Whether the token itself is good and only meant for something else (403, not 401).
    public var isForbidden: Bool { code == .wrongJob || code == .wrongAudience }
}
