import Foundation
import EventLog
import SSE
import TestSupport
import Testing

/// Stopping an answer, through the real services: queued, mid-answer, twice, and by someone else.
@Suite struct StopTests {
    static func ask(_ system: TestSystem, _ question: String) async throws -> (jobId: String, streamURL: String, cancelURL: String, token: String) {
        let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question])
        #expect(accepted.status == 202)
        let body = try accepted.json()
        let jobId = try #require(body["jobId"] as? String)
        let streamURL = system.absolute(try #require(body["streamUrl"] as? String))
        #expect(body["cancelUrl"] as? String == "/api/landing-assistant/job/\(jobId)/cancel")
        let token = try #require(URLComponents(string: streamURL)?.queryItems?.first { $0.name == "token" }?.value)
        return (jobId, streamURL, system.gatewayURL + (try #require(body["cancelUrl"] as? String)), token)
    }

    static func cancel(_ url: String, token: String?) async throws -> TestResponse {
        try await TestHTTP.request(.POST, url, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    /// Each store's wake-up channel: Postgres NOTIFY (with either event log), SQLite's WAL watch.
    @Test(arguments: [(StoreKind.postgres, EventLogKind.spool), (.postgres, .postgres), (.sqlite, .spool)])
    func aStopMidAnswerClosesTheModelRequestAndKeepsWhatWasShown(store: StoreKind, eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(150)), store: store, eventLog: eventLog) { system in
            // A long question: the stand-in's answer repeats it, so the answer lasts about ten seconds.
            let question = "Please go on and on about streaming, " + String(repeating: "and then some more about it, ", count: 10) + "and the end"
            let job = try await Self.ask(system, question)
            // A browser reads two pieces, then its person presses stop.
            let shown = try await readEventStream(job.streamURL) { events in events.filter { $0.event == "delta" }.count >= 2 }
            let asked = ContinuousClock.now
            let stop = try await Self.cancel(job.cancelURL, token: job.token)
            #expect(stop.status == 202, "\(stop.body)")
            #expect(try stop.json()["status"] as? String == "PROCESSING")

            // The browser reconnects from where it was and gets the end: the text so far, once.
            let lastId = try #require(shown.events.last { $0.id != nil }?.id)
            let rest = try await readEventStream(job.streamURL, headers: [("Last-Event-ID", lastId)])
            let end = try #require(rest.events.last)
            #expect(end.event == "failed")
            let data = try #require(rest.data(of: "failed"))
            #expect(data["code"] as? String == "cancelled")
            let streamed = shown.deltaText + rest.deltaText
            #expect(data["answer"] as? String == streamed)
            #expect(!streamed.isEmpty && streamed.count < LLMStandIn.answer(to: question).count, "stopped before the end")

            // The model request was closed before the answer ended: the stand-in never wrote its last
            // piece. (No bound in seconds: on a loaded machine every step is slower, the model's pace too.)
            for _ in 0..<150 where system.llm.timing(for: question)?.closedByClient == nil {
                try await Task.sleep(for: .milliseconds(100))
            }
            let timing = try #require(system.llm.timing(for: question))
            let closed = try #require(timing.closedByClient, "the stand-in saw its request closed")
            #expect(timing.finished == nil, "closed \(closed - asked) after the stop, yet the answer was written whole")
            #expect(system.llmRequests(for: question) == 1, "a stop is not retried")

            // Legacy polling shows a status old clients know, with a readable message.
            let polled = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(job.jobId)")
            #expect(try polled.json()["status"] as? String == "FAILED")
            #expect(try polled.json()["errorMessage"] as? String == "The answer was stopped.")

            // Stopping again: nothing to stop, not an error.
            let again = try await Self.cancel(job.cancelURL, token: job.token)
            #expect(try again.status == 200 && again.json()["status"] as? String == "FAILED")
            // A stream opened now replays the same end.
            let replay = try await readEventStream(job.streamURL)
            #expect(replay.data(of: "failed")?["answer"] as? String == streamed)
            #expect(replay.deltaText == streamed)
        }
    }

    @Test func aQueuedJobStoppedNeverReachesTheModel() async throws {
        // One job at a time: the second waits in the queue behind the first.
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(100)), environment: ["WORKER_CONCURRENCY": "1"]) { system in
            // Its answer repeats the question: about 100 pieces, ten seconds, so that the second
            // is still queued when stopped, however loaded the machine.
            let first = try await Self.ask(system, "The first, long question, " + String(repeating: "and more of it, ", count: 25) + "and the end")
            _ = try await readEventStream(first.streamURL) { $0.contains { $0.event == "delta" } }
            let queued = try await Self.ask(system, "The second question, stopped while queued")
            let stop = try await Self.cancel(queued.cancelURL, token: queued.token)
            #expect(stop.status == 202)
            #expect(try stop.json()["status"] as? String == "QUEUED")

            let stream = try await readEventStream(queued.streamURL)
            let data = try #require(stream.data(of: "failed"))
            #expect(data["code"] as? String == "cancelled" && data["answer"] as? String == "")
            #expect(stream.deltaText.isEmpty)
            #expect(system.llmRequests(for: "The second question, stopped while queued") == 0, "the model never saw it")
            // The job ahead of it is untouched.
            #expect(try await readEventStream(first.streamURL).data(of: "completed") != nil)
            // A finished job: nothing to stop.
            let done = try await Self.cancel(first.cancelURL, token: first.token)
            #expect(try done.status == 200 && done.json()["status"] as? String == "COMPLETED")
        }
    }

    @Test func onlyTheOwnerStops() async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(100))) { system in
            // The tutor: the owner's bearer token, and no one else's.
            let alice = try await system.userToken("alice")
            let accepted = try await TestHTTP.postJSON(
                "\(system.gatewayURL)/assistant/query", ["question": "Alice asks", "courseId": "ai-native-fullstack-developer"],
                headers: [("Authorization", "Bearer \(alice)")]
            )
            let body = try accepted.json()
            let cancelURL = system.gatewayURL + (try #require(body["cancelUrl"] as? String))
            let bob = try await system.userToken("bob")
            let refused = try await Self.cancel(cancelURL, token: bob)
            #expect(refused.status == 403 && refused.errorCode == "not_your_job")
            #expect(try await Self.cancel(cancelURL, token: nil).errorCode == "missing_token")
            #expect(try await Self.cancel(cancelURL, token: "not.a.token").status == 401)
            #expect(try await Self.cancel(system.gatewayURL + "/assistant/job/nope/cancel", token: alice).errorCode == "invalid_job_id")
            #expect(try await Self.cancel(system.gatewayURL + "/assistant/job/\(UUID())/cancel", token: alice).status == 404)
            let owner = try await Self.cancel(cancelURL, token: alice)
            #expect(owner.status == 202 || owner.status == 200, "\(owner.body)")

            // The landing guide: the job's own stream token, and no other.
            let one = try await Self.ask(system, "Landing one")
            let two = try await Self.ask(system, "Landing two")
            let wrongJob = try await Self.cancel(one.cancelURL, token: two.token)
            #expect(wrongJob.status == 403 && wrongJob.errorCode == "token_for_other_job")
            let missing = try await Self.cancel(one.cancelURL, token: nil)
            #expect(missing.status == 401 && missing.errorCode == "missing_token")
            #expect(try await Self.cancel(one.cancelURL + "?token=\(one.token)", token: nil).status != 401, "the token as a query parameter")
            #expect(try await Self.cancel(system.gatewayURL + "/api/landing-assistant/job/nope/cancel", token: one.token).status == 400)
            // Two is stopped by its own token; the error body is the contract's.
            let forbidden = try await TestHTTP.request(.POST, two.cancelURL, headers: [("Authorization", "Bearer \(one.token)")])
            #expect(forbidden.errorMessage?.isEmpty == false)
        }
    }
}
