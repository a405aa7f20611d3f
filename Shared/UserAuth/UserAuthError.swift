/// Why a bearer token was refused; every case answers 401.
public struct UserAuthError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case missing = "missing_token"
        case invalid = "invalid_token"
        case expired = "expired_token"
    }

    public let code: Code

    public init(_ code: Code) { self.code = code }
}
