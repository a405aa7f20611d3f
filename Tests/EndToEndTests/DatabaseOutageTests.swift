import Foundation
import TestSupport
import Testing

/// Postgres stops while jobs are queued and running: the gateway answers 503 with Retry-After
/// (never a 500, never a hang), the worker and its LISTEN connection recover by themselves, and
/// every job accepted before the outage completes.
@Suite(.serialized)
struct DatabaseOutageTests {
    @Test func everyAcceptedJobCompletesAfterAPostgresRestart() async throws {
        let postgres = try PrivatePostgres()
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(40)), environment: ["DATABASE_URL": postgres.url]) { system in
            var accepted: [String] = []
            for index in 0..<6 {
                let response = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "Before the outage \(index)"])
                #expect(response.status == 202)
                accepted.append(try #require(try response.json()["jobId"] as? String))
            }
            try postgres.stop()

            let clock = ContinuousClock()
            let start = clock.now
            let during = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "During the outage"])
            #expect(during.status == 503, "\(during.body)")
            #expect(during.errorCode == "store_unavailable")
            #expect(during.headers.first(name: "Retry-After") != nil)
            #expect(clock.now - start < .seconds(15), "answered, not hung")
            let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(accepted[0])")
            #expect(poll.status == 503)
            #expect(try await TestHTTP.get("\(system.gatewayURL)/readyz").status == 503)

            try await Task.sleep(for: .seconds(2))
            try postgres.start()

            // Every job accepted before the outage completes.
            let deadline = clock.now + .seconds(60)
            var pending = Set(accepted)
            while !pending.isEmpty, clock.now < deadline {
                for id in pending {
                    let status = try? await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(id)").json()["status"] as? String
                    if status == "COMPLETED" { pending.remove(id) }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            if !pending.isEmpty {
                // What each stuck job says, and every worker line that names it.
                var report = ""
                for id in pending {
                    let poll = try? await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(id)")
                    report += "\(id): \(poll?.body ?? "no answer")\n"
                    report += system.worker.log.split(separator: "\n").filter { $0.contains(id) }.joined(separator: "\n") + "\n"
                }
                Issue.record("jobs not completed:\n\(report)\nworker log's end:\n\(system.worker.log.suffix(6000))")
            }

            // And new work flows again.
            let after = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "After the outage"])
            #expect(after.status == 202)
            let url = system.absolute(try #require(try after.json()["streamUrl"] as? String))
            #expect(try await readEventStream(url).data(of: "completed") != nil)
        }
    }
}
