import Foundation
import Jobs
import TestSupport
import Testing

/// Stopping an answer, in both stores: the request, its effect on the queue, and the record.
@Suite struct StopStoreTests {
    static func newJob(_ question: String = "Stop me?", session: UUID = UUID()) -> NewJob {
        NewJob(kind: .landing, question: question, sessionId: session, userId: "anonymous", maxAttempts: 3)
    }

    @Test(arguments: StoreKind.allCases) func aQueuedJobAskedToStopIsClaimedFirstAndFlagged(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let older = Self.newJob("Older")
            _ = try await store.enqueue(older)
            try await Task.sleep(for: .milliseconds(5))
            let stopped = Self.newJob("Stopped")
            _ = try await store.enqueue(stopped)
            let asked = try #require(try await store.requestCancel(jobId: stopped.id))
            #expect(asked.status == .queued && asked.cancelRequested)
            #expect(try await store.job(id: older.id)?.cancelRequested == false)
            // Its worker ends it at once, so it goes ahead of older work.
            let first = try #require(try await store.claim(lease: .seconds(30)))
            #expect(first.id == stopped.id && first.cancelRequested)
            let second = try #require(try await store.claim(lease: .seconds(30)))
            #expect(second.id == older.id && !second.cancelRequested)
            #expect(try await store.requestCancel(jobId: UUID()) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func aRunningJobAskedToStopIsFoundAmongRunningJobs(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let one = Self.newJob("One")
            let two = Self.newJob("Two")
            _ = try await store.enqueue(one)
            _ = try await store.enqueue(two)
            let a = try #require(try await store.claim(lease: .seconds(30)))
            let b = try #require(try await store.claim(lease: .seconds(30)))
            #expect(try await store.cancelRequested(among: [a.id, b.id]).isEmpty)
            let asked = try #require(try await store.requestCancel(jobId: b.id))
            #expect(asked.status == .processing && asked.cancelRequested && asked.leaseToken == b.leaseToken)
            // Asking twice changes nothing more.
            #expect(try await store.requestCancel(jobId: b.id)?.cancelRequested == true)
            // A job that is gone (its conversation deleted) must stop too.
            let gone = UUID()
            #expect(try await store.cancelRequested(among: [a.id, b.id, gone]) == [b.id, gone])
            #expect(try await store.cancelRequested(among: []).isEmpty)
        }
    }

    /// A stop asked while the attempt runs, then the attempt fails and is requeued with a backoff:
    /// the job does not wait out the backoff, the next claim takes it (and ends it).
    @Test(arguments: StoreKind.allCases) func aJobAskedToStopDoesNotWaitOutItsRetryBackoff(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = Self.newJob()
            _ = try await store.enqueue(job)
            let running = try #require(try await store.claim(lease: .seconds(30)))
            _ = try await store.requestCancel(jobId: job.id)
            #expect(try await store.requeue(jobId: job.id, leaseToken: try #require(running.leaseToken), after: .seconds(60), reason: "transient"))
            let again = try #require(try await store.claim(lease: .seconds(30)), "claimable at once, not in a minute")
            #expect(again.id == job.id && again.cancelRequested && again.attempts == 2)
            // Without a stop, the backoff holds.
            let other = Self.newJob("Not stopped")
            _ = try await store.enqueue(other)
            let claimed = try #require(try await store.claim(lease: .seconds(30)))
            #expect(claimed.id == other.id)
            #expect(try await store.requeue(jobId: other.id, leaseToken: try #require(claimed.leaseToken), after: .seconds(60), reason: "transient"))
            #expect(try await store.claim(lease: .seconds(30)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func anEndedJobIsLeftAsItIs(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let new = Self.newJob()
            _ = try await store.enqueue(new)
            let job = try #require(try await store.claim(lease: .seconds(30)))
            let result = JobResult(jobId: new.id, answer: "Done.", sessionId: new.sessionId)
            #expect(try await store.complete(jobId: job.id, leaseToken: try #require(job.leaseToken), result: result, terminalEventId: 3))
            let after = try #require(try await store.requestCancel(jobId: job.id))
            #expect(after.status == .completed && !after.cancelRequested && after.result == result)
        }
    }

    @Test(arguments: StoreKind.allCases) func aStoppedJobKeepsItsPartialAnswerInTheConversationOnce(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let new = Self.newJob("Tell me everything")
            _ = try await store.enqueue(new)
            let job = try #require(try await store.claim(lease: .seconds(30)))
            _ = try await store.requestCancel(jobId: job.id)
            let token = try #require(job.leaseToken)
            #expect(try await store.stop(jobId: job.id, leaseToken: token, answer: "Every thing is", terminalEventId: 4))
            #expect(try await store.stop(jobId: job.id, leaseToken: token, answer: "Every thing is", terminalEventId: 4) == false)
            let stopped = try #require(try await store.job(id: job.id))
            #expect(stopped.status == .failed && stopped.errorCode == "cancelled" && stopped.errorMessage == JobFailure.cancelled.message)
            #expect(stopped.partialAnswer == "Every thing is" && stopped.terminalEventId == 4 && stopped.leaseToken == nil)
            #expect(JobEvent.terminal(of: stopped) == .stopped(answer: "Every thing is"))
            let history = try await store.history(sessionId: new.sessionId, limit: 10)
            #expect(history.map(\.content) == ["Tell me everything", "Every thing is"])
            #expect(history.map(\.stopped) == [false, true])
            // A lost lease stops nothing.
            #expect(try await store.stop(jobId: job.id, leaseToken: UUID(), answer: "x", terminalEventId: 5) == false)
        }
    }
}
