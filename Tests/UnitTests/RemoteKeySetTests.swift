import Foundation
import Logging
import TestSupport
import Testing
import UserAuth

/// Users' tokens signed with an identity provider's keys, read from its JWKS URL: RS256 and ES256,
/// a rotation without a restart, a provider that cannot be reached, audience and issuer.
@Suite struct RemoteKeySetTests {
    static let hmacSecret = "user-secret-user-secret-user-secret"

    static func withProvider(
        cooldown: Duration = .seconds(30), refreshInterval: Duration = .seconds(600), audience: String? = nil, issuer: String? = nil,
        _ body: (JWKSStandIn, RemoteKeySet, UserTokenVerifier) async throws -> Void
    ) async throws {
        let provider = JWKSStandIn()
        await provider.start()
        defer { provider.stop() }
        try await provider.addKey(.rs256, kid: "rsa-1")
        try await provider.addKey(.es256, kid: "ec-1")
        let keys = RemoteKeySet(url: provider.url, refreshInterval: refreshInterval, cooldown: cooldown, logger: Logger(label: "test"))
        let verifier = try await UserTokenVerifier(hmacSecret: hmacSecret, remote: keys, audience: audience, issuer: issuer)
        try await body(provider, keys, verifier)
    }

    @Test func tokensSignedWithEitherKindOfKeyAreAccepted() async throws {
        try await Self.withProvider { provider, _, verifier in
            let rsa = try await provider.token(subject: "user-rsa", kid: "rsa-1")
            let ec = try await provider.token(subject: "user-ec", kid: "ec-1")
            #expect(try await verifier.verify(bearer: rsa).sub.value == "user-rsa")
            #expect(try await verifier.verify(bearer: ec).sub.value == "user-ec")
            #expect(provider.fetches == 1, "read once, then cached")
            // The HS256 secret keeps working beside them.
            #expect(try await verifier.verify(bearer: verifier.issue(subject: "local")).sub.value == "local")
            // A token whose signature does not match the key it names.
            let forged = try await provider.token(subject: "user-rsa", kid: "rsa-1").split(separator: ".").prefix(2).joined(separator: ".") + ".AAAA"
            await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: forged) }
            let expired = try await provider.token(subject: "u", kid: "ec-1", lifetime: -60)
            await #expect(throws: UserAuthError(.expired)) { try await verifier.verify(bearer: expired) }
        }
    }

    @Test func aRotatedKeyIsReadOnItsFirstTokenAndMadeUpKeysCannotMakeItFetchInALoop() async throws {
        try await Self.withProvider(cooldown: .seconds(3)) { provider, _, verifier in
            _ = try await verifier.verify(bearer: provider.token(subject: "u", kid: "rsa-1"))
            // Everything slow made beforehand (an RSA key takes a while on a loaded machine), so
            // that the reads below happen well within the cooldown of one another.
            try await provider.addKey(.es256, kid: "not-published-yet")
            provider.retire(kid: "not-published-yet")
            var madeUp: [String] = []
            for _ in 0..<5 { madeUp.append(try await provider.token(subject: "u", kid: "not-published-yet")) }
            try await provider.addKey(.rs256, kid: "rsa-2")
            let rotated = try await provider.token(subject: "rotated", kid: "rsa-2")
            // Let the cooldown pass: the first read was just now.
            try await Task.sleep(for: .milliseconds(3100))
            let read = ContinuousClock.now
            #expect(try await verifier.verify(bearer: rotated).sub.value == "rotated")
            #expect(provider.fetches == 2)
            // Within the cooldown, a key the document does not have is refused without a read: at
            // most one read per cooldown whatever the number of made-up keys (a loaded machine may
            // take longer than one cooldown over these five; without it, each would read).
            for token in madeUp {
                await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: token) }
            }
            let cooldowns = Int((ContinuousClock.now - read) / .seconds(3))
            #expect(provider.fetches <= 2 + cooldowns, "no read for made-up keys within the cooldown (\(cooldowns) cooldowns passed)")
        }
    }

    @Test func aRetiredKeyStopsWorkingAtTheNextBackgroundRead() async throws {
        try await Self.withProvider(refreshInterval: .milliseconds(200)) { provider, keys, verifier in
            let running = Task { try await keys.run() }
            defer { running.cancel() }
            let old = try await provider.token(subject: "u", kid: "rsa-1")
            #expect(try await verifier.verify(bearer: old).sub.value == "u")
            try await provider.addKey(.es256, kid: "ec-2")
            provider.retire(kid: "rsa-1")
            let before = provider.fetches
            while provider.fetches < before + 2 { try await Task.sleep(for: .milliseconds(50)) }
            await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: old) }
            // The new key arrived with the same read, before any token named it.
            let fetches = provider.fetches
            #expect(try await verifier.verify(bearer: provider.token(subject: "n", kid: "ec-2")).sub.value == "n")
            #expect(provider.fetches <= fetches + 1)
        }
    }

    @Test func anUnreachableProviderIsUnavailableNotAnInvalidToken() async throws {
        try await Self.withProvider(cooldown: .seconds(1)) { provider, keys, verifier in
            provider.setFailing(true)
            let token = try await provider.token(subject: "u", kid: "rsa-1")
            await #expect(throws: UserAuthError(.unavailable)) { try await verifier.verify(bearer: token) }
            #expect(!keys.isLoaded)
            // Local tokens do not depend on the provider.
            #expect(try await verifier.verify(bearer: verifier.issue(subject: "local")).sub.value == "local")

            provider.setFailing(false)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await verifier.verify(bearer: token).sub.value == "u")
            // Keys already read keep working while the provider is down.
            provider.setFailing(true)
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await verifier.verify(bearer: provider.token(subject: "still", kid: "ec-1")).sub.value == "still")
            // A key that may be new cannot be checked: unavailable, not invalid.
            try await provider.addKey(.es256, kid: "ec-new")
            await #expect(throws: UserAuthError(.unavailable)) { try await verifier.verify(bearer: provider.token(subject: "u", kid: "ec-new")) }
        }
        // Nothing listening at all.
        let keys = RemoteKeySet(url: "http://127.0.0.1:9/jwks.json", logger: Logger(label: "test"))
        let verifier = try await UserTokenVerifier(hmacSecret: Self.hmacSecret, remote: keys)
        let provider = JWKSStandIn()
        try await provider.addKey(.rs256, kid: "rsa-1")
        await #expect(throws: UserAuthError(.unavailable)) { try await verifier.verify(bearer: provider.token(subject: "u", kid: "rsa-1")) }
    }

    @Test func keysItCannotUseAreSkippedAndAKeyWithoutAlgorithmCannotBeFixedToAnother() async throws {
        try await Self.withProvider { provider, _, verifier in
            // Beside the signing keys, what providers also publish: an encryption key, a symmetric
            // key, a curve jwt-kit does not know. The document still loads.
            provider.publish(raw: ["kty": "RSA", "kid": "enc-1", "use": "enc", "alg": "RSA-OAEP-256", "n": "AQAB", "e": "AQAB"])
            provider.publish(raw: ["kty": "oct", "kid": "oct-1", "k": "c2VjcmV0"])
            provider.publish(raw: ["kty": "OKP", "kid": "x-1", "crv": "X25519", "x": "AQAB"])
            try await provider.addKey(.rs256, kid: "rsa-plain", namingAlgorithm: false)
            #expect(try await verifier.verify(bearer: provider.token(subject: "u", kid: "rsa-1")).sub.value == "u")

            // A forged token names the key without `alg` and another algorithm, with a junk
            // signature: refused, and the key keeps its own algorithm for the genuine tokens after it.
            let genuine = try await provider.token(subject: "genuine", kid: "rsa-plain")
            let parts = genuine.split(separator: ".")
            let header = JWKSStandIn.base64URL(Data(#"{"alg":"PS256","kid":"rsa-plain","typ":"JWT"}"#.utf8))
            let forged = "\(header).\(parts[1]).\(parts[2])"
            await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: forged) }
            #expect(try await verifier.verify(bearer: genuine).sub.value == "genuine")
        }
    }

    @Test func audienceAndIssuerAreCheckedWhenSet() async throws {
        let issuer = "https://project.supabase.co/auth/v1"
        try await Self.withProvider(audience: "authenticated", issuer: issuer) { provider, _, verifier in
            #expect(try await verifier.verify(bearer: provider.token(subject: "u", kid: "rsa-1", issuer: issuer)).sub.value == "u")
            for token in [
                try await provider.token(subject: "u", kid: "rsa-1", audience: "anon", issuer: issuer),
                try await provider.token(subject: "u", kid: "rsa-1", audience: nil, issuer: issuer),
                try await provider.token(subject: "u", kid: "rsa-1", issuer: "https://other.supabase.co/auth/v1"),
                try await provider.token(subject: "u", kid: "rsa-1", issuer: nil),
            ] {
                await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: token) }
            }
            // Tokens minted locally carry what the verifier asks for.
            #expect(try await verifier.verify(bearer: verifier.issue(subject: "local")).sub.value == "local")
        }
    }
}
