import HTTPSupport
import Hummingbird
import UserAuth

extension UserTokenVerifier {
    /// The signed-in user of a request (`Authorization: Bearer <user JWT>`), or the contract's 401.
    func user(from request: Request) async throws -> UserClaims {
        let header = request.headers[.authorization]
        do {
            guard let header else { throw UserAuthError(.missing) }
            // Any scheme but Bearer, or an empty one, is a credential we cannot accept.
            guard header.hasPrefix("Bearer "), header.count > 7 else { throw UserAuthError(.invalid) }
            return try await verify(bearer: String(header.dropFirst(7)))
        } catch let error as UserAuthError {
            switch error.code {
            case .missing: throw APIError.unauthorized(.missingToken, "Sign in: send Authorization: Bearer <token>.")
            case .expired: throw APIError.unauthorized(.expiredToken, "The sign-in token has expired.")
            case .invalid: throw APIError.unauthorized(.invalidToken, "The sign-in token is not valid.")
            case .unavailable:
                throw APIError(
                    .serviceUnavailable, code: .authUnavailable,
                    message: "The sign-in keys cannot be read from the identity provider just now; try again shortly.", retryAfter: 5
                )
            }
        }
    }
}
