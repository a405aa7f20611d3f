import Foundation
import JWTKit

/// Verifies users' bearer tokens: HS256 with the shared `AUTH_JWT_SECRET`, and RS256/ES256 with
/// the public keys of a JWKS document when one is configured.
public struct UserTokenVerifier: Sendable {
    let keys: JWTKeyCollection
    let canSign: Bool

    /// - Parameters:
    ///   - hmacSecret: the HS256 secret; also lets ``issue(subject:lifetime:)`` mint tokens.
    ///   - jwks: a JWKS JSON document of public keys.
    public init(hmacSecret: String?, jwks: String? = nil) async throws {
        let keys = JWTKeyCollection()
        if let hmacSecret {
            await keys.add(hmac: HMACKey(from: hmacSecret), digestAlgorithm: .sha256)
        }
        if let jwks {
            try await keys.add(jwksJSON: jwks)
        }
        self.keys = keys
        self.canSign = hmacSecret != nil
    }

    /// The claims of a valid, unexpired token.
    public func verify(bearer token: String?) async throws(UserAuthError) -> UserClaims {
        guard let token, !token.isEmpty else { throw UserAuthError(.missing) }
        guard token.utf8.count <= 8192 else { throw UserAuthError(.invalid) }
        do {
            return try await keys.verify(token, as: UserClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            throw UserAuthError(.expired)
        } catch {
            throw UserAuthError(.invalid)
        }
    }

    /// Mints an HS256 token for local use (`tutorline-gateway token`, the demo page).
    public func issue(subject: String, lifetime: Duration = .seconds(3600), now: Date = Date()) async throws -> String {
        let claims = UserClaims(subject: subject, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetime.components.seconds)))
        return try await keys.sign(claims)
    }
}
