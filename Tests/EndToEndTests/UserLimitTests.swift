import Foundation
import TestSupport
import Testing

/// What one client may ask, through the real gateway: a signed-in user's questions per minute and
/// answers at once (counted in the store), and the anonymous limit per address behind a proxy.
@Suite struct UserLimitTests {
    static func expectLimited(_ response: TestResponse, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 429 && response.errorCode == code, "\(response.body)", sourceLocation: sourceLocation)
        #expect(!(response.errorMessage ?? "").isEmpty, sourceLocation: sourceLocation)
        let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init)
        #expect(retryAfter.map { (1...60).contains($0) } == true, "Retry-After: \(String(describing: retryAfter))", sourceLocation: sourceLocation)
    }

    @Test func aSignedInUsersQuestionsAreLimitedPerMinuteAndAtOnce() async throws {
        // Slow answers: the first ones are still running when the next questions arrive.
        let environment = ["USER_RATE_LIMIT": "3", "USER_MAX_ACTIVE_JOBS": "2"]
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(300)), environment: environment) { system in
            let url = "\(system.gatewayURL)/assistant/query"
            func ask(_ user: String, _ question: String) async throws -> TestResponse {
                try await TestHTTP.postJSON(
                    url, ["question": question, "courseId": "ai-native-fullstack-developer"],
                    headers: [("Authorization", "Bearer \(try await system.userToken(user))")]
                )
            }
            let intoMinute = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
            if intoMinute > 45 { try await Task.sleep(for: .seconds(61 - intoMinute)) }

            let first = try await ask("erin", "First, slowly?")
            #expect(first.status == 202)
            #expect(try await ask("erin", "Second, slowly?").status == 202)
            // Two answers running: a third waits for one of them.
            Self.expectLimited(try await ask("erin", "Third?"), "too_many_active_jobs")
            // Someone else is not held back by erin.
            #expect(try await ask("frank", "Mine?").status == 202)

            // Once an answer is done, erin may ask again, up to three questions in the minute.
            let streamURL = system.absolute(try #require(try first.json()["streamUrl"] as? String))
            #expect(try await readEventStream(streamURL).data(of: "completed") != nil)
            #expect(try await ask("erin", "Third, now?").status == 202)
            Self.expectLimited(try await ask("erin", "Fourth?"), "rate_limited")
        }
    }

    @Test func behindAProxyEachAddressHasItsOwnAnonymousLimit() async throws {
        try await withTestSystem(environment: ["ANON_RATE_LIMIT": "2", "TRUST_FORWARDED_FOR": "true"]) { system in
            let url = "\(system.gatewayURL)/api/landing-assistant/query"
            func ask(from address: String) async throws -> TestResponse {
                // The proxy appends the address it saw to what the client sent.
                try await TestHTTP.postJSON(url, ["question": "Hi?"], headers: [("X-Forwarded-For", "203.0.113.99, \(address)")])
            }
            for _ in 0..<2 { #expect(try await ask(from: "198.51.100.1").status == 202) }
            Self.expectLimited(try await ask(from: "198.51.100.1"), "rate_limited")
            // Another visitor behind the same proxy, and a client forging the first part: their own counts.
            #expect(try await ask(from: "198.51.100.2").status == 202)
        }
    }
}
