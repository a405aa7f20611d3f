/// Why a bearer token was refused: 401, but 503 when the keys to check it with cannot be read.
public struct UserAuthError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case missing = "missing_token"
        case invalid = "invalid_token"
        case expired = "expired_token"
        /// The identity provider's keys cannot be fetched: the token may be good, so not a 401.
        case unavailable = "auth_unavailable"
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }
}
