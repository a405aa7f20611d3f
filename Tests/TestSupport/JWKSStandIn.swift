import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import Synchronization
import UserAuth

/// A stand-in for an identity provider's JWKS endpoint (Supabase's `/auth/v1/.well-known/jwks.json`):
/// it makes RS256 and ES256 key pairs, publishes their public halves as a JWKS document, and signs
/// users' tokens with the private halves. Keys can be added and retired (a rotation) and the
/// endpoint can fail, as a provider's does.
public final class JWKSStandIn: Sendable {
    public enum Algorithm: Sendable { case rs256, es256 }

    private struct State {
        var published: [(kid: String, jwk: [String: String])] = []
        var failing = false
        var fetches = 0
    }

    private let state = Mutex(State())
    /// Every key ever made, private halves, by kid: tokens can be signed with retired keys too.
    private let signers = JWTKeyCollection()
    private let server = Mutex<LocalServer?>(nil)

    public init() {}

    /// The document's address.
    public var url: String { "http://127.0.0.1:\(server.withLock { $0?.port ?? 0 })/auth/v1/.well-known/jwks.json" }
    /// How many times the document was asked for.
    public var fetches: Int { state.withLock { $0.fetches } }

    public func start() async {
        let router = Router()
        router.get("/auth/v1/.well-known/jwks.json") { _, _ -> Response in
            let (failing, keys) = self.state.withLock { state in
                state.fetches += 1
                return (state.failing, state.published.map(\.jwk))
            }
            guard !failing else { return Response(status: .serviceUnavailable) }
            let body = try JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let started = await LocalServer.start(router, label: "jwks-stand-in")
        server.withLock { $0 = started }
    }

    public func stop() {
        server.withLock { $0 }?.stop()
    }

    /// Publishes a key as given (keys a verifier must skip: encryption keys, symmetric ones...).
    public func publish(raw jwk: [String: String]) {
        state.withLock { $0.published.append((jwk["kid"] ?? "", jwk)) }
    }

    /// Makes a key pair and publishes its public half under `kid` (without `alg` when
    /// `namingAlgorithm` is false: optional in a JWKS, and some providers omit it).
    public func addKey(_ algorithm: Algorithm, kid: String, namingAlgorithm: Bool = true) async throws {
        let jwk: [String: String]
        switch algorithm {
        case .rs256:
            let key = try Self.rsaKey()
            let primitives = try key.publicKey.getKeyPrimitives()
            jwk = ["kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": Self.base64URL(primitives.modulus), "e": Self.base64URL(primitives.publicExponent)]
            await signers.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        case .es256:
            let key = ES256PrivateKey()
            guard let parameters = key.publicKey.parameters else { throw JWTError.generic(identifier: "ES256", reason: "a key without parameters") }
            jwk = ["kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256", "x": parameters.x, "y": parameters.y]
            await signers.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        }
        state.withLock { $0.published.append((kid, namingAlgorithm ? jwk : jwk.filter { $0.key != "alg" })) }
    }

    /// Stops publishing a key (its tokens stop verifying once a verifier reads the document again).
    public func retire(kid: String) {
        state.withLock { $0.published.removeAll { $0.kid == kid } }
    }

    /// While true, the endpoint answers 503.
    public func setFailing(_ failing: Bool) {
        state.withLock { $0.failing = failing }
    }

    /// A user's token signed with the key `kid`, as the provider issues them.
    public func token(
        subject: String, kid: String, audience: String? = "authenticated", issuer: String? = nil, lifetime: TimeInterval = 3600
    ) async throws -> String {
        let now = Date()
        var claims = UserClaims(subject: subject, issuedAt: now, expiresAt: now.addingTimeInterval(lifetime))
        claims.aud = audience.map { AudienceClaim(value: [$0]) }
        claims.iss = issuer.map { IssuerClaim(value: $0) }
        return try await signers.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// RSA key pairs, made once per test process and handed out in turn: making one takes a
    /// while in a debug build, and the whole suite shares the machine. Distinct kids still name
    /// distinct keys within a test (at most four RSA keys per stand-in).
    private static let rsaPool = Mutex<(keys: [JWTKit.Insecure.RSA.PrivateKey], next: Int)>(([], 0))

    static func rsaKey() throws -> JWTKit.Insecure.RSA.PrivateKey {
        try rsaPool.withLock { pool in
            if pool.keys.count < 4 {
                pool.keys.append(try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)))
                return pool.keys[pool.keys.count - 1]
            }
            pool.next = (pool.next + 1) % pool.keys.count
            return pool.keys[pool.next]
        }
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
