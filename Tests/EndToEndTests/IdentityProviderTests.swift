import Foundation
import TestSupport
import Testing

/// The gateway with an identity provider's JWKS URL, as with Supabase's signing keys: the provider
/// down at start (503, not 401), then up (the tutor answers), then a rotation (no restart).
@Suite struct IdentityProviderTests {
    @Test func theTutorTakesTheProvidersTokensThroughAnOutageAndARotation() async throws {
        let provider = JWKSStandIn()
        await provider.start()
        defer { provider.stop() }
        try await provider.addKey(.rs256, kid: "rsa-1")
        provider.setFailing(true)
        let issuer = "https://project.supabase.co/auth/v1"
        let environment = [
            "AUTH_JWKS_URL": provider.url, "AUTH_JWKS_COOLDOWN_SECONDS": "1",
            "AUTH_JWT_AUDIENCE": "authenticated", "AUTH_JWT_ISSUER": issuer,
        ]
        try await withTestSystem(environment: environment) { system in
            let url = "\(system.gatewayURL)/assistant/query"
            let question: [String: Any] = ["question": "What is streaming?", "courseId": "ai-native-fullstack-developer"]
            func ask(_ token: String) async throws -> TestResponse {
                try await TestHTTP.postJSON(url, question, headers: [("Authorization", "Bearer \(token)")])
            }

            // The provider cannot be reached: the gateway started all the same, and says so.
            let token = try await provider.token(subject: "supabase-user", kid: "rsa-1", issuer: issuer)
            let down = try await ask(token)
            #expect(down.status == 503 && down.errorCode == "auth_unavailable", "\(down.body)")
            #expect(down.headers.first(name: "Retry-After") != nil)
            #expect(try await TestHTTP.get("\(system.gatewayURL)/healthz").status == 200)
            // A token for another audience or from another issuer is refused as ever.
            #expect(try await ask(system.userToken("local-user")).errorCode == "invalid_token", "no aud, no iss")

            // The provider is back: the gateway reads it (its own retry, or the next token's).
            provider.setFailing(false)
            var accepted = try await ask(token)
            for _ in 0..<40 where accepted.status == 503 {
                try await Task.sleep(for: .milliseconds(250))
                accepted = try await ask(token)
            }
            #expect(accepted.status == 202, "\(accepted.body)")
            let streamURL = system.absolute(try #require(try accepted.json()["streamUrl"] as? String))
            #expect(try await readEventStream(streamURL).data(of: "completed") != nil)
            let sessions = try await TestHTTP.get("\(system.gatewayURL)/assistant/sessions", headers: [("Authorization", "Bearer \(token)")])
            #expect(sessions.status == 200, "\(sessions.body)")

            // The provider rotates to a new key (of the other kind): its first token is taken, once
            // the cooldown since the gateway's last read has passed (its own retry may read too).
            var reads = provider.fetches
            repeat {
                reads = provider.fetches
                try await Task.sleep(for: .milliseconds(1100))
            } while provider.fetches != reads
            try await provider.addKey(.es256, kid: "ec-2")
            provider.retire(kid: "rsa-1")
            let rotated = try await ask(provider.token(subject: "supabase-user", kid: "ec-2", issuer: issuer))
            #expect(rotated.status == 202, "\(rotated.body)")
            // A token naming a key the provider never published: refused, not a 503.
            try await provider.addKey(.es256, kid: "never-published")
            provider.retire(kid: "never-published")
            let made = try await ask(provider.token(subject: "x", kid: "never-published", issuer: issuer))
            #expect(made.status == 401 && made.errorCode == "invalid_token", "\(made.body)")
        }
    }
}
