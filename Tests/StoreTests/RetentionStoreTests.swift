import Foundation
import Jobs
import Logging
import TestSupport
import Testing

/// Finished jobs deleted once past the retention, in both stores: in batches, only finished ones,
/// and the conversations keep their messages.
@Suite struct RetentionStoreTests {
    static func newJob(_ question: String) -> NewJob {
        NewJob(kind: .tutor, question: question, courseRef: nil, lessonId: nil, sessionId: UUID(), userId: "u1")
    }

    @Test(arguments: StoreKind.allCases) func finishedJobsBeforeTheCutoffGoInBatchesAndConversationsStay(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let session = UUID()
            let answered = try await SessionStoreTests.askAndAnswer(store, "First?", session: session)
            let second = try await SessionStoreTests.askAndAnswer(store, "Second?", session: session)
            let failing = Self.newJob("Fails?")
            _ = try await store.enqueue(failing)
            let claimed = try #require(try await store.claim(lease: .seconds(30)))
            #expect(try await store.fail(jobId: claimed.id, leaseToken: try #require(claimed.leaseToken), code: "x", message: "y", terminalEventId: 1))
            let running = Self.newJob("Running?")
            _ = try await store.enqueue(running)
            #expect(try await store.claim(lease: .seconds(30))?.id == running.id)
            let queued = Self.newJob("Queued?")
            _ = try await store.enqueue(queued)

            // Nothing finished an hour ago.
            #expect(try await store.pruneFinishedJobs(before: Date().addingTimeInterval(-3600), limit: 10).isEmpty)
            let later = Date().addingTimeInterval(60)
            let first = try await store.pruneFinishedJobs(before: later, limit: 2)
            #expect(first.count == 2, "a batch is at most its limit")
            let rest = try await store.pruneFinishedJobs(before: later, limit: 2)
            #expect(Set(first + rest) == [answered, second, failing.id])
            #expect(try await store.pruneFinishedJobs(before: later, limit: 2).isEmpty)
            let left = try await store.jobs(ids: [answered, second, failing.id, running.id, queued.id])
            #expect(Set(left.map(\.id)) == [running.id, queued.id], "running and queued jobs are never pruned")
            // The conversation keeps its messages.
            let history = try await store.history(sessionId: session, limit: 10)
            #expect(history.map(\.content) == ["First?", "Answer to First?", "Second?", "Answer to Second?"])
        }
    }

    @Test(arguments: StoreKind.allCases) func theRetentionServiceSweepsBatchAfterBatch(kind: StoreKind) async throws {
        try await kind.withStore { store in
            for index in 0..<5 {
                _ = try await SessionStoreTests.askAndAnswer(store, "Question \(index)?", session: UUID())
            }
            let retention = JobRetention(store: store, retention: .seconds(3600), batch: 2, logger: Logger(label: "test"))
            #expect(await retention.sweep() == 0, "finished just now: kept")
            #expect(await retention.sweep(now: Date().addingTimeInterval(3660)) == 5, "past the retention: all, two at a time")
            #expect(await retention.sweep(now: Date().addingTimeInterval(3660)) == 0)
        }
    }

    @Test(arguments: StoreKind.allCases) func questionWindowsAnHourOldGoWithTheSweepAndLimitsStillHold(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let limits = QuestionLimits(perMinute: 1, activeJobs: 0)
            for user in ["u1", "u2", "u3"] {
                _ = try await store.enqueue(NewJob(kind: .tutor, question: "Mine?", courseRef: nil, lessonId: nil, sessionId: UUID(), userId: user), limits: limits)
            }
            // Windows of this minute are never pruned by a cutoff in the past.
            #expect(try await store.pruneQuestionWindows(before: Date().addingTimeInterval(-3600), limit: 10) == 0)
            let later = Date().addingTimeInterval(120)
            #expect(try await store.pruneQuestionWindows(before: later, limit: 2) == 2, "a batch is at most its limit")
            #expect(try await store.pruneQuestionWindows(before: later, limit: 2) == 1)
            #expect(try await store.pruneQuestionWindows(before: later, limit: 2) == 0)

            // A user whose window went asks again within the minute: a new window, counted from one.
            let again = NewJob(kind: .tutor, question: "Again?", courseRef: nil, lessonId: nil, sessionId: UUID(), userId: "u1")
            _ = try await store.enqueue(again, limits: limits)
            let third = NewJob(kind: .tutor, question: "Third?", courseRef: nil, lessonId: nil, sessionId: UUID(), userId: "u1")
            await #expect(throws: QuestionLimitExceeded.self) { try await store.enqueue(third, limits: limits) }

            // The service prunes them on every sweep, finished jobs kept or not.
            let keeping = JobRetention(store: store, retention: nil, batch: 2, logger: Logger(label: "test"))
            #expect(await keeping.sweep(now: Date().addingTimeInterval(3600 + 120)) == 0, "no retention: no job goes")
            #expect(try await store.pruneQuestionWindows(before: later, limit: 10) == 0, "the sweep took the window")
            #expect(try await store.job(id: again.id) != nil)
        }
    }
}
