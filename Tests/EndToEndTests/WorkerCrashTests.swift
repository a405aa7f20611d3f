import EventLog
import Foundation
import TestSupport
import Testing

/// A worker killed with SIGKILL mid-answer: its lease expires, another worker finishes the job,
/// the browser's stream carries on to `completed`, and history holds each message once.
@Suite(.serialized)
struct WorkerCrashTests {
    @Test(arguments: EventLogKind.allCases) func aKilledWorkersJobIsFinishedByAnotherAndTheStreamContinues(eventLog: EventLogKind) async throws {
        let environment = ["JOB_LEASE_SECONDS": "1", "JOB_RESCUE_SECONDS": "0.3", "STREAM_SILENCE_SECONDS": "30"]
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(80)), eventLog: eventLog, environment: environment) { system in
            let question = "Explain streaming and reconnection in detail"
            let (jobId, url) = try await CourseKnowledgeTests.askTutor(system, question)

            // Read until the first worker has sent a few pieces, then kill it.
            let before = try await readEventStream(url) { events in events.filter { $0.event == "delta" }.count >= 3 }
            system.worker.signal(SIGKILL)
            #expect(await system.worker.waitForExit() != nil)
            let lastId = try #require(before.events.last?.id)

            let replacement = try await ServiceProcess(
                "tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir
            )
            defer { replacement.signal(SIGKILL) }
            let after = try await readEventStream(url, headers: [("Last-Event-ID", lastId)])
            let answer = try #require(after.data(of: "completed")?["answer"] as? String, "\(after.raw)")
            #expect(answer == LLMStandIn.answer(to: question))
            // What the browser shows, across both connections, is the answer exactly once.
            #expect(ReceivedStream.deltaText(before.events + after.events) == answer)
            let ids = (before.events + after.events).compactMap { $0.id.flatMap(Int.init) }
            #expect(ids == Array(1...ids.count), "ids continue across the crash: \(ids)")
            #expect(system.llmRequests(for: question) == 2)
            #expect(try await CourseKnowledgeTests.messageCounts(system, job: jobId) == [1, 1])
            await replacement.stop()
        }
    }
}
