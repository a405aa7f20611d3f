import Foundation
import JWTKit

/// The claims Tutorline reads from a user's bearer token (Supabase-style access token).
public struct UserClaims: JWTPayload, Equatable {
    /// The user id.
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim?
    /// Checked when `AUTH_JWT_AUDIENCE` / `AUTH_JWT_ISSUER` are set (Supabase: `authenticated`
    /// and the project's auth URL).
    public var aud: AudienceClaim?
    public var iss: IssuerClaim?
    /// Supabase puts `authenticated` here; read, not required.
    public var role: String?

    public init(subject: String, issuedAt: Date, expiresAt: Date, role: String? = "authenticated") {
        self.sub = SubjectClaim(value: subject)
        self.iat = IssuedAtClaim(value: Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down)))
        self.exp = ExpirationClaim(value: Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
        self.role = role
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
