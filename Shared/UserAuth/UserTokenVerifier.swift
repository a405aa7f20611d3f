import Foundation
import JWTKit

/// Verifies users' bearer tokens: HS256 with the shared `AUTH_JWT_SECRET`, RS256/ES256 with the
/// public keys of a JWKS file, and those of an identity provider's JWKS URL (``RemoteKeySet``).
public struct UserTokenVerifier: Sendable {
    /// The HMAC secret's key and the JWKS file's keys.
    let local: JWTKeyCollection
    let localKids: Set<String>
    let remote: RemoteKeySet?
    let audience: String?
    let issuer: String?
    let canSign: Bool

    /// - Parameters:
    ///   - hmacSecret: the HS256 secret; also lets ``issue(subject:lifetime:now:)`` mint tokens.
    ///   - jwks: a JWKS JSON document of public keys.
    ///   - remote: an identity provider's key set, fetched from its URL.
    ///   - audience: when set, a token's `aud` must include it.
    ///   - issuer: when set, a token's `iss` must be it.
    public init(hmacSecret: String?, jwks: String? = nil, remote: RemoteKeySet? = nil, audience: String? = nil, issuer: String? = nil) async throws {
        let keys = JWTKeyCollection()
        if let hmacSecret {
            await keys.add(hmac: HMACKey(from: hmacSecret), digestAlgorithm: .sha256)
        }
        var kids: Set<String> = []
        if let jwks {
            for key in try SigningKeys.parse(Data(jwks.utf8)).keys {
                try await keys.add(jwk: key)
                if let kid = key.keyIdentifier?.string { kids.insert(kid) }
            }
        }
        self.local = keys
        self.localKids = kids
        self.remote = remote
        self.audience = audience
        self.issuer = issuer
        self.canSign = hmacSecret != nil
    }

    /// The claims of a valid, unexpired token for this service.
    public func verify(bearer token: String?) async throws(UserAuthError) -> UserClaims {
        guard let token, !token.isEmpty else { throw UserAuthError(.missing) }
        guard token.utf8.count <= 8192 else { throw UserAuthError(.invalid) }
        let claims: UserClaims
        do {
            claims = try await keys(for: token).verify(token, as: UserClaims.self)
        } catch let error as UserAuthError {
            throw error
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            throw UserAuthError(.expired)
        } catch {
            throw UserAuthError(.invalid)
        }
        if let audience, !(claims.aud?.value.contains(audience) ?? false) { throw UserAuthError(.invalid) }
        if let issuer, claims.iss?.value != issuer { throw UserAuthError(.invalid) }
        return claims
    }

    /// The keys a token is checked with: an asymmetric token naming a key that is not in the JWKS
    /// file goes to the identity provider's key set; everything else to the local keys.
    private func keys(for token: String) async throws -> JWTKeyCollection {
        guard let remote else { return local }
        let header = try DefaultJWTParser().parse([UInt8](token.utf8), as: UserClaims.self).header
        guard let kid = header.kid, header.alg?.uppercased().hasPrefix("HS") == false, !localKids.contains(kid) else { return local }
        switch await remote.keys(for: kid) {
        case .found(let keys): return keys
        case .unknown: throw UserAuthError(.invalid)
        case .unavailable: throw UserAuthError(.unavailable)
        }
    }

    /// Mints an HS256 token for local use (`tutorline-gateway token`, the demo page), with the
    /// audience and issuer this verifier asks for.
    public func issue(subject: String, lifetime: Duration = .seconds(3600), now: Date = Date()) async throws -> String {
        var claims = UserClaims(subject: subject, issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(lifetime.components.seconds)))
        claims.aud = audience.map { AudienceClaim(value: [$0]) }
        claims.iss = issuer.map { IssuerClaim(value: $0) }
        return try await local.sign(claims)
    }
}
