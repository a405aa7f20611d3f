import Foundation
import StreamTokens
import Testing

@Suite struct StreamTokenTests {
    let secret = String(repeating: "s", count: 40)
    let job = UUID()

    func keys(_ secret: String, previous: [String] = []) async throws -> StreamTokenKeys {
        try await StreamTokenKeys(secret: secret, previousSecrets: previous)
    }

    @Test func aTokenOpensItsOwnJob() async throws {
        let keys = try await keys(secret)
        let token = try await StreamTokenIssuer(keys: keys).issue(job: job, audience: "assistant", subject: "u1")
        let claims = try await StreamTokenVerifier(keys: keys).verify(token, job: job, audience: "assistant")
        #expect(claims.job == job)
        #expect(claims.sub.value == "u1")
        #expect(claims.exp.value.timeIntervalSince(claims.iat.value) == 900)
        // The header names the key.
        let header = try #require(Data(base64URLEncoded: String(token.split(separator: ".")[0])))
        let fields = try #require(try JSONSerialization.jsonObject(with: header) as? [String: Any])
        #expect(fields["kid"] as? String == keys.currentKeyID)
        #expect(fields["alg"] as? String == "HS256")
    }

    @Test func refusals() async throws {
        let keys = try await keys(secret)
        let verifier = StreamTokenVerifier(keys: keys)
        let issuer = StreamTokenIssuer(keys: keys)
        let token = try await issuer.issue(job: job, audience: "landing", subject: "anonymous")

        await #expect(throws: StreamTokenError(.wrongAudience)) { try await verifier.verify(token, job: job, audience: "assistant") }
        await #expect(throws: StreamTokenError(.wrongJob)) { try await verifier.verify(token, job: UUID(), audience: "landing") }
        await #expect(throws: StreamTokenError(.missing)) { try await verifier.verify(nil, job: job, audience: "landing") }
        await #expect(throws: StreamTokenError(.missing)) { try await verifier.verify("", job: job, audience: "landing") }
        await #expect(throws: StreamTokenError(.invalid)) { try await verifier.verify("not.a.token", job: job, audience: "landing") }
        await #expect(throws: StreamTokenError(.invalid)) {
            try await verifier.verify(String(repeating: "a", count: 100_000), job: job, audience: "landing")
        }

        let expired = try await issuer.issue(job: job, audience: "landing", subject: "anonymous", now: Date().addingTimeInterval(-3600))
        await #expect(throws: StreamTokenError(.expired)) { try await verifier.verify(expired, job: job, audience: "landing") }

        let forged = try await StreamTokenIssuer(keys: try await self.keys(String(repeating: "x", count: 40)))
            .issue(job: job, audience: "landing", subject: "anonymous")
        await #expect(throws: StreamTokenError(.invalid)) { try await verifier.verify(forged, job: job, audience: "landing") }

        // A tampered payload with the original signature.
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = Self.base64URL(#"{"job":"\#(job.uuidString)","aud":"assistant","sub":"x","iat":1,"exp":9999999999}"#)
        await #expect(throws: StreamTokenError(.invalid)) { try await verifier.verify(parts.joined(separator: "."), job: job, audience: "assistant") }
    }

    @Test func algorithmNoneAndOtherAlgorithmsAreRefused() async throws {
        let keys = try await keys(secret)
        let verifier = StreamTokenVerifier(keys: keys)
        let payload = Self.base64URL(#"{"job":"\#(job.uuidString)","aud":"landing","sub":"a","iat":1,"exp":9999999999}"#)
        for alg in ["none", "None", "HS512", "RS256"] {
            let header = Self.base64URL(#"{"alg":"\#(alg)","typ":"JWT"}"#)
            for signature in ["", "c2lnbmF0dXJl"] {
                await #expect(throws: StreamTokenError(.invalid)) {
                    try await verifier.verify("\(header).\(payload).\(signature)", job: job, audience: "landing")
                }
            }
        }
    }

    @Test func previousSecretsVerifyDuringRotation() async throws {
        let old = String(repeating: "o", count: 40)
        let oldToken = try await StreamTokenIssuer(keys: try await keys(old)).issue(job: job, audience: "assistant", subject: "u")
        let rotated = try await keys(secret, previous: [old])
        #expect(try await StreamTokenVerifier(keys: rotated).verify(oldToken, job: job, audience: "assistant").job == job)
        let retired = try await keys(secret)
        await #expect(throws: StreamTokenError(.invalid)) {
            try await StreamTokenVerifier(keys: retired).verify(oldToken, job: job, audience: "assistant")
        }
    }

    /// A loop over generated inputs: every mutation of a valid token (a character changed, cut short,
    /// parts swapped or dropped, garbage) is refused without a crash; only the token itself passes.
    @Test func mutatedTokensAreAlwaysRefused() async throws {
        let keys = try await keys(secret)
        let verifier = StreamTokenVerifier(keys: keys)
        let token = try await StreamTokenIssuer(keys: keys).issue(job: job, audience: "landing", subject: "anonymous")
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \0é")
        var generator = SystemRandomNumberGenerator()
        var candidates: [String] = []
        for _ in 0..<600 {
            var characters = Array(token)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0:
                let index = Int.random(in: 0..<characters.count, using: &generator)
                characters[index] = alphabet.randomElement(using: &generator) ?? "A"
            case 1:
                characters = Array(characters.prefix(Int.random(in: 0..<characters.count, using: &generator)))
            case 2:
                var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                parts.swapAt(Int.random(in: 0..<3, using: &generator), Int.random(in: 0..<3, using: &generator))
                characters = Array(parts.joined(separator: "."))
            case 3:
                var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                parts.remove(at: Int.random(in: 0..<3, using: &generator))
                characters = Array(parts.joined(separator: "."))
            default:
                characters = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "A" }
            }
            let candidate = String(characters)
            if candidate != token { candidates.append(candidate) }
        }
        for candidate in candidates {
            do {
                _ = try await verifier.verify(candidate, job: job, audience: "landing")
                Issue.record("a mutated token was accepted: \(candidate)")
            } catch {
                #expect([.invalid, .missing, .expired].contains(error.code), "\(candidate)")
            }
        }
        #expect(try await verifier.verify(token, job: job, audience: "landing").job == job)
    }

    @Test func shortSecretsAreRefused() async throws {
        await #expect(throws: StreamTokenKeys.WeakSecret.self) { try await StreamTokenKeys(secret: "short") }
        await #expect(throws: StreamTokenKeys.WeakSecret.self) { try await StreamTokenKeys(secret: secret, previousSecrets: ["short"]) }
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Data {
    init?(base64URLEncoded string: String) {
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
