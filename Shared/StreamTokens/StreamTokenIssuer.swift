import Foundation
import JWTKit

/// Signs stream tokens (the gateway's side).
public struct StreamTokenIssuer: Sendable {
    let keys: StreamTokenKeys
    /// How long an issued token opens its stream.
    public let lifetime: Duration

    public init(keys: StreamTokenKeys, lifetime: Duration = .seconds(15 * 60)) {
        self.keys = keys
        self.lifetime = lifetime
    }

    /// A compact HS256 JWS for one job's stream.
    public func issue(job: UUID, audience: String, subject: String, now: Date = Date()) async throws -> String {
        let claims = StreamTokenClaims(
            job: job, audience: audience, subject: subject,
            issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetime.components.seconds))
        )
        return try await keys.collection.sign(claims, kid: JWKIdentifier(string: keys.currentKeyID))
    }
}
