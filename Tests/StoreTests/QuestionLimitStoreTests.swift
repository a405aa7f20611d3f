import Foundation
import Jobs
import TestSupport
import Testing

/// Per-user limits counted by the store, in both stores: questions per minute and active jobs,
/// exact when many requests of one user arrive at once, never refusing a replay, storing nothing
/// when refusing.
@Suite struct QuestionLimitStoreTests {
    static func ask(_ store: any JobStore, user: String, key: String? = nil, limits: QuestionLimits) async throws -> EnqueueOutcome {
        try await store.enqueue(NewJob(kind: .tutor, question: "Why?", sessionId: UUID(), userId: user, idempotencyKey: key), limits: limits)
    }

    /// Keeps a test's questions within one minute's window: waits out the last seconds of one.
    static func awayFromAMinutesEnd() async throws {
        let intoMinute = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
        if intoMinute > 35 { try await Task.sleep(for: .seconds(61 - intoMinute)) }
    }

    /// How many of `count` questions asked at once were taken, and what the rest were refused with.
    static func askAtOnce(_ store: any JobStore, user: String, count: Int, limits: QuestionLimits) async throws -> (taken: Int, refused: [QuestionLimitExceeded]) {
        try await withThrowingTaskGroup(of: QuestionLimitExceeded?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    // As a client does: its own key, and a retry of a 503 with the same key (a
                    // loaded machine can hold a store call past its deadline while it still
                    // commits; the retry is then its replay, never a second count).
                    let key = "at-once-\(UUID().uuidString)"
                    for attempt in 1... {
                        do {
                            _ = try await ask(store, user: user, key: key, limits: limits)
                            return nil
                        } catch let refused as QuestionLimitExceeded {
                            return refused
                        } catch let error as JobStoreError where error.code == .unavailable && attempt < 4 {
                            continue
                        }
                    }
                    return nil
                }
            }
            var taken = 0
            var refused: [QuestionLimitExceeded] = []
            for try await outcome in group {
                if let outcome { refused.append(outcome) } else { taken += 1 }
            }
            return (taken, refused)
        }
    }

    @Test(arguments: StoreKind.allCases) func questionsPerMinuteAreCountedExactlyPerUser(kind: StoreKind) async throws {
        try await kind.withStore { store in
            try await Self.awayFromAMinutesEnd()
            let limits = QuestionLimits(perMinute: 5, activeJobs: 0)
            let first = try await Self.ask(store, user: "alice", key: "k-1", limits: limits)
            let (taken, refused) = try await Self.askAtOnce(store, user: "alice", count: 6, limits: limits)
            #expect(taken == 4, "five in the minute, the first included")
            #expect(refused.count == 2 && refused.allSatisfy { $0.limit == .questionsPerMinute && (1...60).contains($0.retryAfter) })
            // The refused stored nothing: alice has exactly five jobs.
            let stats = try await store.queueStatistics()
            #expect(stats.counts[.queued] == 5)
            // A replay of an earlier question is its job, not a refusal.
            let replay = try await Self.ask(store, user: "alice", key: "k-1", limits: limits)
            #expect(!replay.created && replay.job.id == first.job.id)
            // Another user has a window of their own; no limit, no count.
            #expect(try await Self.ask(store, user: "bob", limits: limits).created)
            #expect(try await store.enqueue(NewJob(kind: .tutor, question: "Unlimited", userId: "alice")).created)
        }
    }

    @Test(arguments: StoreKind.allCases) func activeJobsAreBoundedAndFreedWhenAnswered(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let limits = QuestionLimits(perMinute: 0, activeJobs: 2)
            let (taken, refused) = try await Self.askAtOnce(store, user: "carol", count: 4, limits: limits)
            #expect(taken == 2, "two at once, however many gateways ask together")
            #expect(refused.count == 2 && refused.allSatisfy { $0.limit == .activeJobs && $0.retryAfter > 0 })
            // A running job still counts; a finished one does not.
            let running = try #require(try await store.claim(lease: .seconds(30)))
            await #expect(throws: QuestionLimitExceeded(.activeJobs, retryAfter: QuestionLimitExceeded.activeJobsRetryAfter)) {
                try await Self.ask(store, user: "carol", limits: limits)
            }
            let result = JobResult(jobId: running.id, answer: "A", sessionId: running.sessionId)
            #expect(try await store.complete(jobId: running.id, leaseToken: try #require(running.leaseToken), result: result, terminalEventId: 1))
            #expect(try await Self.ask(store, user: "carol", limits: limits).created)
            #expect(try await Self.ask(store, user: "dave", limits: limits).created)
        }
    }
}
