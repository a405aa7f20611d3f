import Foundation
import TestSupport
import Testing

/// The embedded default: SQLite shared by the three processes, secrets generated once, the worker
/// woken by polling, the offline engine; and claims that stay exclusive across worker processes.
@Suite(.serialized)
struct EmbeddedDefaultTests {
    @Test func theWholeFlowRunsOnSQLiteWithGeneratedSecrets() async throws {
        try await withTestSystem(store: .sqlite, environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "0"]) { system in
            #expect(system.streamTokenSecret.count >= 32 && system.authSecret.count >= 32)
            let (jobId, url) = try await CourseKnowledgeTests.askTutor(system, "How do retries with exponential backoff and jitter work?")
            let stream = try await readEventStream(url)
            let completed = try #require(stream.data(of: "completed"), "\(stream.raw)\n\(system.logs)")
            #expect((completed["answer"] as? String)?.contains("From “Background Jobs and Queues”") == true)
            #expect(stream.deltaText == completed["answer"] as? String)
            let poll = try await TestHTTP.get(
                "\(system.gatewayURL)/assistant/job/\(jobId)", headers: [("Authorization", "Bearer \(try await system.userToken("learner"))")]
            )
            #expect(try poll.json()["status"] as? String == "COMPLETED")

            let (_, landingURL) = try await StreamTests.ask(system, "How much does the yearly plan cost?")
            #expect(try await readEventStream(landingURL).data(of: "completed") != nil)
        }
    }

    @Test func claimsStayExclusiveAcrossWorkerProcesses() async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(1)), store: .sqlite, environment: ["WORKER_CONCURRENCY": "3"]) { system in
            let second = try await ServiceProcess("tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir)
            defer { second.signal(SIGKILL) }
            let questions = (0..<24).map { "Question number \($0)?" }
            var urls: [String] = []
            for question in questions { urls.append(try await StreamTests.ask(system, question).streamURL) }
            for url in urls { #expect(try await readEventStream(url).data(of: "completed") != nil) }
            for question in questions { #expect(system.llmRequests(for: question) == 1, "\(question)") }
            // Both workers took part.
            #expect(second.log.contains("job claimed") && system.worker.log.contains("job claimed"))
            await second.stop()
        }
    }
}
