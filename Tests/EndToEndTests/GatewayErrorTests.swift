import Foundation
import TestSupport
import Testing
import UserAuth

/// Every gateway row of the contract's error table, with its JSON error body, against the real executable.
@Suite(.serialized)
struct GatewayErrorTests {
    @Test func queryErrors() async throws {
        try await withTestSystem(environment: ["ANON_RATE_LIMIT": "1000"]) { system in
            let url = "\(system.gatewayURL)/assistant/query"
            let token = try await system.userToken("user-1")
            let auth = ("Authorization", "Bearer \(token)")
            let good: [String: Any] = ["question": "Hi?", "courseId": "ai-native-fullstack-developer"]

            func expectError(_ response: TestResponse, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(response.status == status, "\(response.body)", sourceLocation: sourceLocation)
                #expect(response.errorCode == code, "\(response.body)", sourceLocation: sourceLocation)
                #expect(!(response.errorMessage ?? "").isEmpty, sourceLocation: sourceLocation)
                #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
            }

            expectError(try await TestHTTP.postJSON(url, good), 401, "missing_token")
            expectError(try await TestHTTP.postJSON(url, good, headers: [("Authorization", "Bearer nope")]), 401, "invalid_token")
            expectError(try await TestHTTP.postJSON(url, good, headers: [("Authorization", "Basic abc")]), 401, "invalid_token")
            let expired = try await UserTokenVerifier(hmacSecret: system.authSecret)
                .issue(subject: "user-1", lifetime: .seconds(60), now: Date().addingTimeInterval(-7200))
            expectError(try await TestHTTP.postJSON(url, good, headers: [("Authorization", "Bearer \(expired)")]), 401, "expired_token")
            let foreign = try await UserTokenVerifier(hmacSecret: "some-other-secret-some-other-secret").issue(subject: "user-1")
            expectError(try await TestHTTP.postJSON(url, good, headers: [("Authorization", "Bearer \(foreign)")]), 401, "invalid_token")

            let json = [("Content-Type", "application/json"), auth]
            expectError(try await TestHTTP.request(.POST, url, headers: json, body: "{not json"), 400, "malformed_json")
            expectError(try await TestHTTP.request(.POST, url, headers: json, body: "[1,2]"), 400, "invalid_field")
            expectError(try await TestHTTP.postJSON(url, ["courseId": "c"], headers: [auth]), 400, "missing_field")
            expectError(try await TestHTTP.postJSON(url, ["question": 42, "courseId": "c"], headers: [auth]), 400, "invalid_field")
            expectError(try await TestHTTP.postJSON(url, ["question": " \n\t ", "courseId": "c"], headers: [auth]), 400, "empty_question")
            expectError(try await TestHTTP.postJSON(url, ["question": String(repeating: "é", count: 4001), "courseId": "c"], headers: [auth]), 400, "question_too_long")
            #expect(try await TestHTTP.postJSON(url, ["question": String(repeating: "é", count: 4000), "courseId": "ai-native-fullstack-developer"], headers: [auth]).status == 202)
            // One character under the limit that carries 30,000 combining marks is over the byte bound.
            let stacked = "a" + String(repeating: "\u{301}", count: 30_000)
            #expect(stacked.count == 1)
            expectError(try await TestHTTP.postJSON(url, ["question": stacked, "courseId": "c"], headers: [auth]), 400, "question_too_long")
            expectError(try await TestHTTP.postJSON(url, ["question": "Hi?"], headers: [auth]), 400, "missing_course")
            expectError(try await TestHTTP.postJSON(url, ["question": "Hi?", "courseId": "no-such-course"], headers: [auth]), 404, "course_not_found")
            expectError(try await TestHTTP.postJSON(url, ["question": "Hi?", "courseId": "a\u{0}b"], headers: [auth]), 400, "invalid_field")
            expectError(try await TestHTTP.postJSON(url, good.merging(["lessonId": "x\u{0}"]) { $1 }, headers: [auth]), 400, "invalid_field")
            expectError(try await TestHTTP.postJSON(url, ["question": "Hi?", "courseId": String(repeating: "c", count: 201)], headers: [auth]), 400, "invalid_field")
            expectError(try await TestHTTP.postJSON(url, ["question": "Hi?", "courseId": UUID().uuidString], headers: [auth]), 404, "course_not_found")
            for alias in ["ai-in-web-development", "5b0f6c1e-3c2a-4e8d-9a51-2f7d4c8e1a90", "AI-Native-FullStack-Developer"] {
                #expect(try await TestHTTP.postJSON(url, ["question": "Hi?", "courseId": alias], headers: [auth]).status == 202, "\(alias)")
            }
            let session = UUID().uuidString
            #expect(try await TestHTTP.postJSON(url, good.merging(["sessionId": session]) { $1 }, headers: [auth]).status == 202)
            let intruder = ("Authorization", "Bearer \(try await system.userToken("user-2"))")
            expectError(try await TestHTTP.postJSON(url, good.merging(["sessionId": session]) { $1 }, headers: [intruder]), 403, "session_not_yours")
            expectError(try await TestHTTP.postJSON(url, good.merging(["sessionId": "not-a-uuid"]) { $1 }, headers: [auth]), 400, "invalid_session_id")
            // The all-zero UUID would be one guessable conversation for everyone.
            expectError(
                try await TestHTTP.postJSON(url, good.merging(["sessionId": "00000000-0000-0000-0000-000000000000"]) { $1 }, headers: [auth]), 400, "invalid_session_id"
            )
            expectError(try await TestHTTP.postJSON(url, good, headers: [auth, ("Idempotency-Key", "has space")]), 400, "invalid_idempotency_key")
            let big = "{\"question\": \"" + String(repeating: "a", count: 70_000) + "\", \"courseId\": \"c\"}"
            expectError(try await TestHTTP.request(.POST, url, headers: json, body: big), 413, "body_too_large")
            expectError(try await TestHTTP.request(.POST, url, headers: json, body: big, chunked: true), 413, "body_too_large")
            expectError(try await TestHTTP.request(.POST, url, headers: [("Content-Type", "text/plain"), auth], body: "hi"), 415, "unsupported_media_type")
            expectError(try await TestHTTP.request(.POST, url, headers: [auth], body: "{}"), 415, "unsupported_media_type")

            let landing = "\(system.gatewayURL)/api/landing-assistant/query"
            expectError(try await TestHTTP.request(.POST, landing, headers: [("Content-Type", "application/json")], body: "nope"), 400, "malformed_json")
            expectError(try await TestHTTP.request(.POST, landing, headers: [("Content-Type", "text/html")], body: "<p>"), 415, "unsupported_media_type")
            expectError(try await TestHTTP.get("\(system.gatewayURL)/no/such/route"), 404, "not_found")
        }
    }

    @Test func pollingErrorsAndOwnership() async throws {
        try await withTestSystem { system in
            let owner = ("Authorization", "Bearer \(try await system.userToken("owner"))")
            let stranger = ("Authorization", "Bearer \(try await system.userToken("stranger"))")
            let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/assistant/query", ["question": "Mine?", "courseId": "ai-in-web-development"], headers: [owner])
            let jobId = try #require(try accepted.json()["jobId"] as? String)
            let landing = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "Yours?"])
            let landingId = try #require(try landing.json()["jobId"] as? String)

            #expect(try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(jobId)", headers: [owner]).status == 200)
            let other = try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(jobId)", headers: [stranger])
            #expect(other.status == 403 && other.errorCode == "not_your_job")
            #expect(try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(jobId)").errorCode == "missing_token")
            let malformed = try await TestHTTP.get("\(system.gatewayURL)/assistant/job/not-a-uuid", headers: [owner])
            #expect(malformed.status == 400 && malformed.errorCode == "invalid_job_id")
            let unknown = try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(UUID().uuidString)", headers: [owner])
            #expect(unknown.status == 404 && unknown.errorCode == "job_not_found")
            // Each assistant sees only its own jobs.
            #expect(try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(landingId)", headers: [owner]).status == 404)
            #expect(try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)").status == 404)
            #expect(try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(landingId)").status == 200)
            #expect(try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/%2e%2e%2fetc").errorCode == "invalid_job_id")
        }
    }

    @Test func idempotencyKeyReturnsTheSameJob() async throws {
        try await withTestSystem { system in
            let url = "\(system.gatewayURL)/api/landing-assistant/query"
            let first = try await TestHTTP.postJSON(url, ["question": "Once?"], headers: [("Idempotency-Key", "retry-1")])
            let second = try await TestHTTP.postJSON(url, ["question": "Once?"], headers: [("Idempotency-Key", "retry-1")])
            #expect(first.status == 202 && second.status == 202)
            #expect(try first.json()["jobId"] as? String == (try second.json()["jobId"] as? String))
            let conflict = try await TestHTTP.postJSON(url, ["question": "Twice?"], headers: [("Idempotency-Key", "retry-1")])
            #expect(conflict.status == 409 && conflict.errorCode == "idempotency_key_reused")
        }
    }

    @Test func anonymousQueriesAreRateLimited() async throws {
        try await withTestSystem(environment: ["ANON_RATE_LIMIT": "3"]) { system in
            let url = "\(system.gatewayURL)/api/landing-assistant/query"
            for _ in 0..<3 { #expect(try await TestHTTP.postJSON(url, ["question": "Hi?"]).status == 202) }
            let limited = try await TestHTTP.postJSON(url, ["question": "Hi?"])
            #expect(limited.status == 429 && limited.errorCode == "rate_limited")
            let retryAfter = try #require(limited.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
        }
    }

    @Test func operationalEndpointsAnswer() async throws {
        try await withTestSystem { system in
            let (_, url) = try await StreamTests.ask(system, "Count me in the metrics")
            _ = try await readEventStream(url)
            try await Task.sleep(for: .milliseconds(1200))  // the queue gauges' first report follows the migration
            let expected = [
                system.gatewayURL: ["tutorline_jobs_accepted_total", "tutorline_jobs{status=\"QUEUED\"}", "tutorline_queue_oldest_age_seconds"],
                "http://127.0.0.1:\(system.worker.port)": [
                    "tutorline_job_attempts_total{outcome=\"completed\"} 1", "tutorline_llm_request_seconds", "tutorline_job_queue_wait_seconds",
                ],
                system.streamURL: ["tutorline_sse_connections", "tutorline_sse_events_delivered_total", "tutorline_spool_lag_seconds"],
            ]
            for (base, names) in expected {
                let metrics = try await TestHTTP.get("\(base)/metrics").body
                for name in names { #expect(metrics.contains(name), "\(base): \(name)\n\(metrics.prefix(2000))") }
            }
            for base in [system.gatewayURL, system.streamURL, "http://127.0.0.1:\(system.worker.port)"] {
                for path in ["/healthz", "/readyz", "/metrics"] {
                    let response = try await TestHTTP.get(base + path)
                    #expect(response.status == 200, "\(base)\(path)")
                }
            }
        }
    }
}
