#if canImport(Glibc)
import EventLog
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// Faults injected into the real executables: what a browser sees, and that nothing is lost.
@Suite(.serialized)
struct FaultTests {
    static let slow = LLMStandIn(chunkDelay: .milliseconds(70))

    /// Reads until `count` deltas arrived.
    static func untilDeltas(_ count: Int) -> @Sendable ([SSE.ServerSentEvent]) -> Bool {
        { events in events.filter { $0.event == "delta" }.count >= count }
    }

    @Test(arguments: EventLogKind.allCases) func aKilledStreamServiceIsResumedWithLastEventID(eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(70)), eventLog: eventLog) { system in
            let question = "Resume me after a crash"
            let (_, url) = try await StreamTests.ask(system, question)
            let before = try await readEventStream(url, stop: Self.untilDeltas(3))
            system.stream.signal(SIGKILL)
            #expect(await system.stream.waitForExit() != nil)
            let restarted = try await ServiceProcess("tutorline-stream", environment: system.environment, port: system.stream.port, logDirectory: system.workDir)
            defer { restarted.signal(SIGKILL) }
            let after = try await readEventStream(url, headers: [("Last-Event-ID", try #require(before.events.last?.id))])
            let answer = try #require(after.data(of: "completed")?["answer"] as? String)
            #expect(ReceivedStream.deltaText(before.events + after.events) == answer)
            #expect(answer == LLMStandIn.answer(to: question))
        }
    }

    @Test(arguments: EventLogKind.allCases) func onSIGTERMTheStreamServiceSendsBrowsersElsewhereAndExits(eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(70)), eventLog: eventLog) { system in
            let (_, url) = try await StreamTests.ask(system, "Drain me gracefully")
            let before = try await readEventStream(url, stop: Self.untilDeltas(2))
            // A second connection stays open while the service drains.
            async let draining = readEventStream(url, headers: [("Last-Event-ID", try #require(before.events.last?.id))])
            try await Task.sleep(for: .milliseconds(150))
            system.stream.signal(SIGTERM)
            let cut = try await draining
            #expect(cut.data(of: "completed") == nil, "the stream ended before the answer did")
            #expect(cut.raw.hasSuffix("retry: 250\n\n"))
            #expect(await system.stream.waitForExit(timeout: .seconds(10)) == 0)

            let replacement = try await ServiceProcess("tutorline-stream", environment: system.environment, port: system.stream.port, logDirectory: system.workDir)
            defer { replacement.signal(SIGKILL) }
            let lastId = try #require((before.events + cut.events).last { $0.id != nil }?.id)
            let rest = try await readEventStream(url, headers: [("Last-Event-ID", lastId)])
            let answer = try #require(rest.data(of: "completed")?["answer"] as? String)
            #expect(ReceivedStream.deltaText(before.events + cut.events + rest.events) == answer)
        }
    }

    @Test(arguments: EventLogKind.allCases) func onSIGTERMTheWorkerFinishesItsJobThenExits(eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(60)), eventLog: eventLog) { system in
            let question = "Finish me before you go"
            let (jobId, url) = try await StreamTests.ask(system, question)
            _ = try await readEventStream(url, stop: Self.untilDeltas(2))
            system.worker.signal(SIGTERM)
            let rest = try await readEventStream(url)
            #expect(rest.data(of: "completed")?["answer"] as? String == LLMStandIn.answer(to: question))
            #expect(await system.worker.waitForExit(timeout: .seconds(15)) == 0)
            #expect(system.llmRequests(for: question) == 1)
            let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)")
            #expect(try poll.json()["status"] as? String == "COMPLETED")
        }
    }

    @Test func pastItsGracePeriodTheWorkerReleasesItsJob() async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(60)), environment: ["WORKER_SHUTDOWN_GRACE_SECONDS": "0.2"]) { system in
            let question = "Release me to another worker"
            let (_, url) = try await StreamTests.ask(system, question)
            let before = try await readEventStream(url, stop: Self.untilDeltas(2))
            system.worker.signal(SIGTERM)
            #expect(await system.worker.waitForExit(timeout: .seconds(10)) == 0)
            let replacement = try await ServiceProcess("tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir)
            defer { replacement.signal(SIGKILL) }
            let rest = try await readEventStream(url, headers: [("Last-Event-ID", try #require(before.events.last?.id))])
            let answer = try #require(rest.data(of: "completed")?["answer"] as? String, "\(rest.raw)")
            #expect(ReceivedStream.deltaText(before.events + rest.events) == answer)
            #expect(system.llmRequests(for: question) == 2)
            #expect(system.worker.log.contains("job released"))
        }
    }

    @Test func onSIGTERMTheGatewayExitsCleanly() async throws {
        try await withTestSystem { system in
            let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "Before"])
            #expect(accepted.status == 202)
            system.gateway.signal(SIGTERM)
            #expect(await system.gateway.waitForExit(timeout: .seconds(10)) == 0)
        }
    }

    @Test func aLostSpoolFailsTheJobAndTheStreamEndsFromTheStore() async throws {
        try await withTestSystem(environment: ["STREAM_SILENCE_SECONDS": "1", "JOB_MAX_ATTEMPTS": "2"]) { system in
            try FileManager.default.removeItem(atPath: system.spoolDir)
            let (jobId, url) = try await StreamTests.ask(system, "Where does this go?")
            let stream = try await Self.expectSpoolFailure(system, jobId: jobId, url: url)
            // The end came from the store; a reconnect after it is told the stream is over (204),
            // not sent the end again.
            let endId = try #require(stream.events.last?.id)
            #expect(try await readEventStream(url, headers: [("Last-Event-ID", endId)]).status == 204)
            #expect(system.worker.isRunning && system.stream.isRunning)
        }
    }

    @Test func aFullSpoolFailsTheJobClearlyAndTheWorkerCarriesOn() async throws {
        try await withTestSystem(environment: ["STREAM_SILENCE_SECONDS": "1", "JOB_MAX_ATTEMPTS": "2"]) { system in
            // The job's spool file is /dev/full: every write fails with ENOSPC, as on a full disk.
            await system.worker.stop()
            let (jobId, url) = try await StreamTests.ask(system, "Is there room for this answer?")
            try FileManager.default.createSymbolicLink(
                atPath: "\(system.spoolDir)/\(jobId.lowercased()).events", withDestinationPath: "/dev/full"
            )
            let worker = try await ServiceProcess("tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir)
            defer { worker.signal(SIGKILL) }

            try await Self.expectSpoolFailure(system, jobId: jobId, url: url, cause: "No space left on device", in: worker)

            // Nothing else is harmed: the next question is answered in full.
            let (_, next) = try await StreamTests.ask(system, "And this one?")
            #expect(try await readEventStream(next).data(of: "completed")?["answer"] as? String == LLMStandIn.answer(to: "And this one?"))
            #expect(worker.isRunning && system.stream.isRunning)
            await worker.stop()
        }
    }

    // Only root can start a service as another user; CI runs the tests as root.
    @Test(.enabled(if: getuid() == 0)) func aSpoolTheWorkerMayNotWriteFailsTheJobClearly() async throws {
        try await withTestSystem(environment: ["STREAM_SILENCE_SECONDS": "1", "JOB_MAX_ATTEMPTS": "2"]) { system in
            // A volume mounted with the wrong owner: the spool belongs to root, the worker runs as nobody.
            await system.worker.stop()
            let worker = try await ServiceProcess(
                "tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir, user: "nobody"
            )
            defer { worker.signal(SIGKILL) }
            let (jobId, url) = try await StreamTests.ask(system, "Can anyone write this down?")
            try await Self.expectSpoolFailure(system, jobId: jobId, url: url, cause: "Permission denied", in: worker)
            #expect(!FileManager.default.fileExists(atPath: "\(system.spoolDir)/\(jobId.lowercased()).events"))
            #expect(worker.isRunning && system.stream.isRunning)
            await worker.stop()
        }
    }

    /// The job failed because its answer could not be spooled: the stream ends with
    /// `spool_unavailable`, the job reads FAILED, and the worker's log names `cause`.
    @discardableResult
    static func expectSpoolFailure(
        _ system: TestSystem, jobId: String, url: String, cause: String? = nil, in worker: ServiceProcess? = nil
    ) async throws -> ReceivedStream {
        let stream = try await readEventStream(url)
        let failed = try #require(stream.data(of: "failed"), "\(stream.raw)")
        #expect(failed["code"] as? String == "spool_unavailable")
        if let cause, let worker { #expect(worker.log.contains(cause), "the cause is in the worker's log") }
        let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)")
        #expect(try poll.json()["status"] as? String == "FAILED")
        return stream
    }

    @Test func tokensNeverAppearInLogs() async throws {
        try await withTestSystem(environment: ["LOG_LEVEL": "trace"]) { system in
            let bearer = try await system.userToken("secret-user")
            let accepted = try await TestHTTP.postJSON(
                "\(system.gatewayURL)/assistant/query", ["question": "Log me?", "courseId": "ai-native-fullstack-developer"],
                headers: [("Authorization", "Bearer \(bearer)")]
            )
            let streamUrl = try #require(try accepted.json()["streamUrl"] as? String)
            let streamToken = try #require(streamUrl.components(separatedBy: "token=").last)
            _ = try await readEventStream(system.absolute(streamUrl))
            _ = try await TestHTTP.get(system.absolute(streamUrl.replacingOccurrences(of: "token=", with: "token=x")))
            _ = try await TestHTTP.get("\(system.gatewayURL)/assistant/job/\(UUID())", headers: [("Authorization", "Bearer \(bearer)")])
            let logs = system.logs
            #expect(logs.count > 1000, "trace logging produced output")
            for secret in [bearer, streamToken, system.streamTokenSecret, system.authSecret] {
                #expect(!logs.contains(secret))
                // Nor the signature part alone.
                #expect(!logs.contains(String(secret.split(separator: ".").last ?? "")))
            }
        }
    }
}

import SSE
