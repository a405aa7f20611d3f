import Foundation
import Jobs
import TestSupport
import Testing

/// Every store behaviour, run against each store kind from one suite.
@Suite struct JobStoreTests {
    static let kinds = StoreKind.allCases

    static func newJob(_ question: String = "What is SSE?", key: String? = nil, user: String = "u1", maxAttempts: Int = 3) -> NewJob {
        NewJob(kind: .tutor, question: question, courseRef: "course", lessonId: "l1", userId: user, idempotencyKey: key, maxAttempts: maxAttempts)
    }

    @Test(arguments: kinds) func storesAndReadsBackAJob(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let new = Self.newJob("Unicode ✓ 数据 \u{7}? no: \"quotes\" '; DROP TABLE jobs; --")
            let outcome = try await store.enqueue(new)
            #expect(outcome.created)
            let job = try #require(try await store.job(id: new.id))
            #expect(job == outcome.job)
            #expect(job.status == .queued && job.attempts == 0 && job.leaseToken == nil)
            #expect(job.question == new.question && job.courseRef == "course" && job.lessonId == "l1")
            #expect(job.sessionId == new.sessionId && job.userId == "u1" && job.kind == .tutor)
            #expect(try await store.job(id: UUID()) == nil)
            #expect(try await store.jobs(ids: [new.id, UUID()]).map(\.id) == [new.id])
        }
    }

    @Test(arguments: kinds) func anIdempotencyKeyReturnsTheSameJob(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let first = try await store.enqueue(Self.newJob(key: "k1"))
            let again = try await store.enqueue(Self.newJob(key: "k1"))
            #expect(!again.created)
            #expect(again.job.id == first.job.id)
            // The same key from another user is another job.
            #expect(try await store.enqueue(Self.newJob(key: "k1", user: "u2")).created)
            await #expect(throws: JobStoreError.self) { try await store.enqueue(Self.newJob("Another question", key: "k1")) }
        }
    }

    @Test(arguments: kinds) func claimsTakeTheOldestJobOnce(kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.claim(lease: .seconds(30)) == nil)
            let first = try await store.enqueue(Self.newJob("first")).job
            _ = try await store.enqueue(Self.newJob("second"))
            let claimed = try #require(try await store.claim(lease: .seconds(30)))
            #expect(claimed.id == first.id)
            #expect(claimed.status == .processing && claimed.attempts == 1 && claimed.leaseToken != nil)
            #expect(try await store.claim(lease: .seconds(30))?.question == "second")
            #expect(try await store.claim(lease: .seconds(30)) == nil)
        }
    }

    @Test(arguments: kinds) func concurrentClaimersClaimEachJobExactlyOnce(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let count = 60
            for index in 0..<count { _ = try await store.enqueue(Self.newJob("q\(index)")) }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var mine: [UUID] = []
                        while let job = try await store.claim(lease: .seconds(30)) { mine.append(job.id) }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == count)
            #expect(Set(claimed).count == count)
        }
    }

    @Test(arguments: kinds) func onlyTheLeaseHolderFinishesAJob(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let new = try await store.enqueue(Self.newJob()).job
            let job = try #require(try await store.claim(lease: .seconds(30)))
            let token = try #require(job.leaseToken)
            let result = JobResult(jobId: job.id, answer: "Answer ✓", sessionId: job.sessionId, nextSuggestions: ["Next?"], sources: [.init(lessonTitle: "L1", chunkId: "c1")])
            #expect(try await store.extendLease(jobId: job.id, leaseToken: UUID(), by: .seconds(30)) == false)
            #expect(try await store.extendLease(jobId: job.id, leaseToken: token, by: .seconds(30)))
            #expect(try await store.complete(jobId: job.id, leaseToken: UUID(), result: result, terminalEventId: 5) == false)
            #expect(try await store.complete(jobId: job.id, leaseToken: token, result: result, terminalEventId: 5))
            let done = try #require(try await store.job(id: new.id))
            #expect(done.status == .completed && done.result == result && done.terminalEventId == 5 && done.leaseToken == nil)
            // A finished job is not finished again.
            #expect(try await store.fail(jobId: job.id, leaseToken: token, code: "x", message: "y", terminalEventId: 6) == false)
        }
    }

    @Test(arguments: kinds) func completingRecordsWhatTheAnswerCost(kind: StoreKind) async throws {
        try await kind.withStore { store in
            for usage in [TokenUsage(promptTokens: 1_234, completionTokens: 567), nil] {
                _ = try await store.enqueue(Self.newJob())
                let job = try #require(try await store.claim(lease: .seconds(30)))
                let result = JobResult(jobId: job.id, answer: "Paid for.", sessionId: job.sessionId)
                #expect(try await store.complete(jobId: job.id, leaseToken: try #require(job.leaseToken), result: result, usage: usage, terminalEventId: 3))
                #expect(try await store.job(id: job.id)?.usage == usage)
            }
        }
    }

    @Test(arguments: kinds) func failingRecordsCodeAndMessage(kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.enqueue(Self.newJob())
            let job = try #require(try await store.claim(lease: .seconds(30)))
            #expect(try await store.fail(jobId: job.id, leaseToken: try #require(job.leaseToken), code: "llm_rejected", message: "No.", terminalEventId: 2))
            let failed = try #require(try await store.job(id: job.id))
            #expect(failed.status == .failed && failed.errorCode == "llm_rejected" && failed.errorMessage == "No." && failed.terminalEventId == 2)
        }
    }

    @Test(arguments: kinds) func aRequeuedJobWaitsForItsDelay(kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.enqueue(Self.newJob())
            let job = try #require(try await store.claim(lease: .seconds(30)))
            #expect(try await store.requeue(jobId: job.id, leaseToken: try #require(job.leaseToken), after: .seconds(60), reason: "503"))
            #expect(try await store.job(id: job.id)?.status == .queued)
            #expect(try await store.claim(lease: .seconds(30)) == nil)

            _ = try await store.enqueue(Self.newJob("soon"))
            let other = try #require(try await store.claim(lease: .seconds(30)))
            #expect(try await store.requeue(jobId: other.id, leaseToken: try #require(other.leaseToken), after: .zero, reason: "503"))
            let again = try #require(try await store.claim(lease: .seconds(30)))
            #expect(again.id == other.id && again.attempts == 2 && again.leaseToken != other.leaseToken)
        }
    }

    @Test(arguments: kinds) func expiredLeasesAreRescued(kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.enqueue(Self.newJob(maxAttempts: 2))
            let first = try #require(try await store.claim(lease: .milliseconds(200)))
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await store.rescueExpiredLeases() == 1)
            #expect(try await store.job(id: first.id)?.status == .queued)
            // The old holder can no longer touch it.
            #expect(try await store.extendLease(jobId: first.id, leaseToken: try #require(first.leaseToken), by: .seconds(30)) == false)

            let second = try #require(try await store.claim(lease: .milliseconds(200)))
            #expect(second.id == first.id && second.attempts == 2)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await store.rescueExpiredLeases() == 1)
            let lost = try #require(try await store.job(id: first.id))
            #expect(lost.status == .failed && lost.errorCode == "worker_lost")

            // A lease still running is left alone.
            _ = try await store.enqueue(Self.newJob("running"))
            let running = try #require(try await store.claim(lease: .seconds(60)))
            #expect(try await store.rescueExpiredLeases() == 0)
            #expect(try await store.job(id: running.id)?.status == .processing)
        }
    }

    @Test(arguments: kinds) func queueStatisticsCountByStatus(kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.queueStatistics() == QueueStatistics(counts: [:], oldestQueuedAge: nil))
            for index in 0..<3 { _ = try await store.enqueue(Self.newJob("q\(index)")) }
            _ = try await store.claim(lease: .seconds(30))
            try await Task.sleep(for: .milliseconds(50))
            let statistics = try await store.queueStatistics()
            #expect(statistics.counts == [.queued: 2, .processing: 1])
            #expect((statistics.oldestQueuedAge ?? .zero) >= .milliseconds(40))
        }
    }

    @Test(arguments: kinds) func storesManyJobsConcurrently(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
                for index in 0..<50 { group.addTask { try await store.enqueue(Self.newJob("q\(index)")).job.id } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(try await store.jobs(ids: ids).count == 50)
        }
    }
}

/// Conversations: sessions belong to one user; each job adds exactly one question and one answer.
@Suite struct ConversationStoreTests {
    @Test(arguments: StoreKind.allCases) func eachJobAddsOneTurnWhateverTheRetries(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let session = UUID()
            let new = NewJob(kind: .landing, question: "First?", sessionId: session, userId: "anonymous", maxAttempts: 3)
            _ = try await store.enqueue(new)
            // Attempt 1 loses its lease; attempt 2 completes; attempt 1's late completion is refused.
            let first = try #require(try await store.claim(lease: .milliseconds(100)))
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await store.rescueExpiredLeases() == 1)
            let second = try #require(try await store.claim(lease: .seconds(30)))
            let result = JobResult(jobId: new.id, answer: "One answer.", sessionId: session)
            #expect(try await store.complete(jobId: new.id, leaseToken: try #require(second.leaseToken), result: result, terminalEventId: 3))
            #expect(try await store.complete(jobId: new.id, leaseToken: try #require(first.leaseToken), result: result, terminalEventId: 3) == false)
            #expect(try await store.complete(jobId: new.id, leaseToken: try #require(second.leaseToken), result: result, terminalEventId: 3) == false)

            _ = try await store.enqueue(NewJob(kind: .landing, question: "Second?", sessionId: session, userId: "anonymous"))
            let next = try #require(try await store.claim(lease: .seconds(30)))
            _ = try await store.complete(jobId: next.id, leaseToken: try #require(next.leaseToken), result: JobResult(jobId: next.id, answer: "Two.", sessionId: session), terminalEventId: 2)

            let history = try await store.history(sessionId: session, limit: 10)
            #expect(history.map(\.content) == ["First?", "One answer.", "Second?", "Two."])
            #expect(history.map(\.role) == [.user, .assistant, .user, .assistant])
            #expect(try await store.history(sessionId: session, limit: 2).map(\.content) == ["Second?", "Two."])
        }
    }

    @Test(arguments: StoreKind.allCases) func aSessionBelongsToItsFirstUser(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let session = UUID()
            _ = try await store.enqueue(NewJob(kind: .tutor, question: "Mine", courseRef: "c", sessionId: session, userId: "alice"))
            _ = try await store.enqueue(NewJob(kind: .tutor, question: "Still mine", courseRef: "c", sessionId: session, userId: "alice"))
            let intruding = NewJob(kind: .tutor, question: "Theirs?", courseRef: "c", sessionId: session, userId: "mallory")
            await #expect(throws: JobStoreError(.sessionNotOwned, "This conversation belongs to someone else.")) {
                try await store.enqueue(intruding)
            }
            // Refused means not stored: no job waits in someone else's conversation.
            #expect(try await store.jobs(ids: [intruding.id]).isEmpty)
            await #expect(throws: JobStoreError.self) {
                try await store.enqueue(NewJob(kind: .landing, question: "Other assistant", sessionId: session, userId: "alice"))
            }
        }
    }

    /// Two users sending the same new session id at the same instant: exactly one gets the
    /// conversation, on every store, however the two transactions interleave.
    @Test(arguments: StoreKind.allCases) func twoUsersRacingForANewSessionNeverShareIt(kind: StoreKind) async throws {
        try await kind.withStore { store in
            for round in 0..<60 {
                let session = UUID()
                let accepted = await withTaskGroup(of: NewJob?.self) { group in
                    for user in ["alice", "bob"] {
                        group.addTask {
                            let job = NewJob(kind: .tutor, question: "Round \(round)", courseRef: "c", sessionId: session, userId: user)
                            return (try? await store.enqueue(job)) != nil ? job : nil
                        }
                    }
                    return await group.reduce(into: [NewJob]()) { if let job = $1 { $0.append(job) } }
                }
                #expect(accepted.count == 1, "round \(round): \(accepted.map(\.userId))")
                let stored = try await store.jobs(ids: accepted.map(\.id))
                #expect(Set(stored.map(\.userId)).count == stored.count)
            }
        }
    }

    /// A replayed idempotent request (a retry that lost its answer, with a new random session id)
    /// and a refused one leave no empty conversation behind.
    @Test(arguments: StoreKind.allCases) func replaysAndRefusalsCreateNoConversation(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let first = try await store.enqueue(NewJob(kind: .tutor, question: "Once", courseRef: "c", userId: "alice", idempotencyKey: "k"))
            let replay = NewJob(kind: .tutor, question: "Once", courseRef: "c", userId: "alice", idempotencyKey: "k")
            let again = try await store.enqueue(replay)
            #expect(!again.created && again.job.id == first.job.id)
            // The replay's own session id names no conversation: a job in it starts a new one.
            let claimant = NewJob(kind: .tutor, question: "Mine now", courseRef: "c", sessionId: replay.sessionId, userId: "bob")
            #expect(try await store.enqueue(claimant).created)
        }
    }
}
