import Foundation
import JWTKit

/// Checks stream tokens (the stream service's side), with no database round trip.
public struct StreamTokenVerifier: Sendable {
    /// Longer than any token we issue; refused before any parsing work.
    public static let maximumTokenLength = 2048

    let keys: StreamTokenKeys

    public init(keys: StreamTokenKeys) {
        self.keys = keys
    }

    /// The token's claims, when it is ours, unexpired, and for this job and audience.
    public func verify(_ token: String?, job: UUID, audience: String) async throws(StreamTokenError) -> StreamTokenClaims {
        guard let token, !token.isEmpty else { throw StreamTokenError(.missing) }
        guard token.utf8.count <= Self.maximumTokenLength, Self.declaresHS256(token) else {
            throw StreamTokenError(.invalid)
        }
        let claims: StreamTokenClaims
        do {
            claims = try await keys.collection.verify(token, as: StreamTokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim {
            throw StreamTokenError(.expired)
        } catch {
            throw StreamTokenError(.invalid)
        }
        guard claims.aud.value.contains(audience) else { throw StreamTokenError(.wrongAudience) }
        guard claims.job == job else { throw StreamTokenError(.wrongJob) }
        return claims
    }

    /// Only HS256 is ours: a token naming another algorithm (`none` included) is refused outright,
    /// whatever the library would make of it.
    static func declaresHS256(_ token: String) -> Bool {
        guard let headerPart = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let header = Data(base64URLEncoded: String(headerPart)),
            let fields = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { return false }
        return fields["alg"] as? String == "HS256"
    }
}

extension Data {
    /// Decodes unpadded base64url (RFC 4648 §5), as JWS uses.
    init?(base64URLEncoded string: String) {
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
