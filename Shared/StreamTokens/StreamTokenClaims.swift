import Foundation
import JWTKit

/// The claims of a stream token: which job, for which assistant, whose, and until when.
public struct StreamTokenClaims: JWTPayload, Equatable {
    /// The job the token opens.
    public var job: UUID
    /// The assistant (`assistant` or `landing`), matching the stream route.
    public var aud: AudienceClaim
    /// The user id, or `anonymous`.
    public var sub: SubjectClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(job: UUID, audience: String, subject: String, issuedAt: Date, expiresAt: Date) {
        self.job = job
        self.aud = AudienceClaim(value: [audience])
        self.sub = SubjectClaim(value: subject)
        // Whole seconds: the JWT numeric date, so that a decoded token equals the issued claims.
        self.iat = IssuedAtClaim(value: Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down)))
        self.exp = ExpirationClaim(value: Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
