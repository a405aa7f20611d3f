import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Settings
import Testing
import UserAuth

@testable import Gateway

/// The gateway's routes in process, through Hummingbird's router test framework: the real
/// application as `GatewayApplication` wires it (middleware, routes, a real SQLite store in a
/// temporary folder, migrations), no socket and no other process. What crosses processes (the
/// worker's answer, the stream) is the end-to-end suites' part.
@Suite struct GatewayRouteTests {
    static let userSecret = "route-tests-user-secret-route-tests-user-secret"

    /// Runs `test` against a gateway on a fresh embedded store.
    static func withGateway(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tutorline-routes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reader = SettingsReader(environment: [
            "DATABASE_URL": "sqlite:\(folder)/tutorline.sqlite",
            "SPOOL_DIR": "\(folder)/spool",
            "STREAM_PUBLIC_URL": "http://127.0.0.1:8081",
            "AUTH_JWT_SECRET": userSecret,
            "USER_RATE_LIMIT": "0", "USER_MAX_ACTIVE_JOBS": "0",
            "LOG_LEVEL": "warning",
        ])
        let settings = try GatewaySettings(reader: reader)
        var logger = Logger(label: "gateway-route-tests")
        logger.logLevel = .warning
        let app = try await GatewayApplication.build(settings: settings, metrics: PrometheusCollectorRegistry(), logger: logger)
        try await app.test(.router, test)
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func code(_ response: TestResponse) throws -> String? {
        try (json(response.body)["error"] as? [String: Any])?["code"] as? String
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @Test func aLandingQuestionIsAcceptedDurablyAndPolledAsQueued() async throws {
        try await Self.withGateway { client in
            let accepted = try await client.execute(
                uri: "/api/landing-assistant/query", method: .post, headers: [.contentType: "application/json"],
                body: try Self.body(["question": "What does the course cost?"])
            )
            #expect(accepted.status == .accepted)
            let answer = try Self.json(accepted.body)
            let jobId = try #require(answer["jobId"] as? String)
            let streamUrl = try #require(answer["streamUrl"] as? String)
            #expect(UUID(uuidString: jobId) != nil)
            #expect(streamUrl.hasPrefix("http://127.0.0.1:8081/api/landing-assistant/stream/\(jobId)?token="))
            #expect(answer["sessionId"] is String)

            // No worker runs here: the job waits, stored.
            let polled = try await client.execute(uri: "/api/landing-assistant/job/\(jobId)", method: .get)
            #expect(polled.status == .ok)
            #expect(try Self.json(polled.body)["status"] as? String == "QUEUED")
        }
    }

    @Test func anIdempotencyKeyAsksOnceAndItsReuseForAnotherQuestionIsRefused() async throws {
        try await Self.withGateway { client in
            let headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: "route-test-key-1"]
            let first = try await client.execute(
                uri: "/api/landing-assistant/query", method: .post, headers: headers, body: try Self.body(["question": "How do refunds work?"])
            )
            let again = try await client.execute(
                uri: "/api/landing-assistant/query", method: .post, headers: headers, body: try Self.body(["question": "How do refunds work?"])
            )
            #expect(first.status == .accepted)
            #expect(again.status == .accepted)
            let firstId = try #require(try Self.json(first.body)["jobId"] as? String)
            #expect(try Self.json(again.body)["jobId"] as? String == firstId)

            let other = try await client.execute(
                uri: "/api/landing-assistant/query", method: .post, headers: headers, body: try Self.body(["question": "Something else entirely?"])
            )
            #expect(other.status == .conflict)
            #expect(try Self.code(other) == "idempotency_key_reused")
        }
    }

    @Test func badQuestionsAreRefusedWithTheirCodes() async throws {
        try await Self.withGateway { client in
            let cases: [(ByteBuffer, HTTPResponse.Status, String)] = [
                (try Self.body(["question": "   "]), .badRequest, "empty_question"),
                (try Self.body(["question": String(repeating: "a", count: 4_001)]), .badRequest, "question_too_long"),
                (try Self.body(["nothing": "here"]), .badRequest, "missing_field"),
                (ByteBuffer(string: "{not json"), .badRequest, "malformed_json"),
            ]
            for (body, status, code) in cases {
                let response = try await client.execute(
                    uri: "/api/landing-assistant/query", method: .post, headers: [.contentType: "application/json"], body: body
                )
                #expect(response.status == status, "\(code)")
                #expect(try Self.code(response) == code)
            }
        }
    }

    @Test func theTutorWantsAUsersTokenAndSaysWhatItDoesNotHold() async throws {
        try await Self.withGateway { client in
            let anonymous = try await client.execute(
                uri: "/assistant/query", method: .post, headers: [.contentType: "application/json"],
                body: try Self.body(["question": "What is a token?", "courseId": "intro-to-ai-apps"])
            )
            #expect(anonymous.status == .unauthorized)
            #expect(try Self.code(anonymous) == "missing_token")

            let garbage = try await client.execute(
                uri: "/assistant/query", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer garbage"],
                body: try Self.body(["question": "What is a token?", "courseId": "intro-to-ai-apps"])
            )
            #expect(garbage.status == .unauthorized)
            #expect(try Self.code(garbage) == "invalid_token")

            // The store holds no course in this test: a signed-in question about one is a 404.
            let issuer = try await UserTokenVerifier(hmacSecret: Self.userSecret)
            let alice = try await issuer.issue(subject: "alice")
            let unknownCourse = try await client.execute(
                uri: "/assistant/query", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(alice)"],
                body: try Self.body(["question": "What is a token?", "courseId": "no-such-course"])
            )
            #expect(unknownCourse.status == .notFound)
            #expect(try Self.code(unknownCourse) == "course_not_found")

            let unknownJob = try await client.execute(
                uri: "/assistant/job/\(UUID().uuidString)", method: .get, headers: [.authorization: "Bearer \(alice)"]
            )
            #expect(unknownJob.status == .notFound)
            #expect(try Self.code(unknownJob) == "job_not_found")

            let badId = try await client.execute(uri: "/assistant/job/not-a-uuid", method: .get, headers: [.authorization: "Bearer \(alice)"])
            #expect(badId.status == .badRequest)
            #expect(try Self.code(badId) == "invalid_job_id")
        }
    }

    @Test func anAddressAnsweredForOtherMethodsIsA405WithAllow() async throws {
        try await Self.withGateway { client in
            let response = try await client.execute(uri: "/api/landing-assistant/query", method: .get)
            #expect(response.status == .methodNotAllowed)
            #expect(try Self.code(response) == "method_not_allowed")
            #expect(response.headers[.allow]?.contains("POST") == true)

            let nowhere = try await client.execute(uri: "/no/such/address", method: .get)
            #expect(nowhere.status == .notFound)
            #expect(try Self.code(nowhere) == "not_found")

            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }
}
