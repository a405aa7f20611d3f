import EventDelivery
import EventLog
import Foundation
import Jobs
import NIOCore
import Spool
import TestSupport
import Synchronization
import Testing

@Suite struct JobStreamSourceTests {
    /// A store whose lookups run `beforeLookup` first: here, the worker finishing the job while the
    /// stream service asks about it.
    struct FinishingWhileAsked: JobStore {
        let store: any JobStore
        let beforeLookup: @Sendable () throws -> Void

        func jobs(ids: [UUID]) async throws -> [Job] {
            try beforeLookup()
            return try await store.jobs(ids: ids)
        }

        func enqueue(_ job: NewJob, limits: QuestionLimits) async throws -> EnqueueOutcome { try await store.enqueue(job, limits: limits) }
        func job(id: UUID) async throws -> Job? { try await jobs(ids: [id]).first }
        func claim(lease: Duration) async throws -> Job? { try await store.claim(lease: lease) }
        func extendLease(jobId: UUID, leaseToken: UUID, by lease: Duration) async throws -> Bool {
            try await store.extendLease(jobId: jobId, leaseToken: leaseToken, by: lease)
        }
        func complete(jobId: UUID, leaseToken: UUID, result: JobResult, usage: TokenUsage?, terminalEventId: Int) async throws -> Bool {
            try await store.complete(jobId: jobId, leaseToken: leaseToken, result: result, usage: usage, terminalEventId: terminalEventId)
        }
        func fail(jobId: UUID, leaseToken: UUID, code: String, message: String, terminalEventId: Int) async throws -> Bool {
            try await store.fail(jobId: jobId, leaseToken: leaseToken, code: code, message: message, terminalEventId: terminalEventId)
        }
        func stop(jobId: UUID, leaseToken: UUID, answer: String, terminalEventId: Int) async throws -> Bool {
            try await store.stop(jobId: jobId, leaseToken: leaseToken, answer: answer, terminalEventId: terminalEventId)
        }
        func sessions(userId: String, kind: AssistantKind, courseId: UUID?, after cursor: SessionCursor?, limit: Int) async throws -> [SessionSummary] {
            try await store.sessions(userId: userId, kind: kind, courseId: courseId, after: cursor, limit: limit)
        }
        func session(id: UUID) async throws -> SessionRecord? { try await store.session(id: id) }
        func deleteSession(id: UUID) async throws -> [UUID]? { try await store.deleteSession(id: id) }
        func pruneFinishedJobs(before cutoff: Date, limit: Int) async throws -> [UUID] { try await store.pruneFinishedJobs(before: cutoff, limit: limit) }
        func pruneQuestionWindows(before cutoff: Date, limit: Int) async throws -> Int { try await store.pruneQuestionWindows(before: cutoff, limit: limit) }
        func requestCancel(jobId: UUID) async throws -> Job? { try await store.requestCancel(jobId: jobId) }
        func cancelRequested(among ids: [UUID]) async throws -> Set<UUID> { try await store.cancelRequested(among: ids) }
        func requeue(jobId: UUID, leaseToken: UUID, after delay: Duration, reason: String) async throws -> Bool {
            try await store.requeue(jobId: jobId, leaseToken: leaseToken, after: delay, reason: reason)
        }
        func rescueExpiredLeases() async throws -> Int { try await store.rescueExpiredLeases() }
        func history(sessionId: UUID, limit: Int) async throws -> [ChatTurn] { try await store.history(sessionId: sessionId, limit: limit) }
        func queueStatistics() async throws -> QueueStatistics { try await store.queueStatistics() }
        func ping() async throws { try await store.ping() }
    }

    /// A fresh SQLite store and a spool in a folder of its own, removed afterwards.
    func withStoreAndSpool(_ body: @escaping @Sendable (any JobStore, Spool) async throws -> Void) async throws {
        try await StoreKind.sqlite.withStore { store in
            let spool = Spool(directory: NSTemporaryDirectory() + "spool-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(atPath: spool.directory) }
            try spool.prepare()
            try await body(store, spool)
        }
    }

    /// A source whose store lookups run `beforeLookup` first.
    func source(_ spool: Spool, _ store: any JobStore, hub: DeliveryHub = DeliveryHub(), beforeLookup: @escaping @Sendable () throws -> Void) -> JobStreamSource {
        JobStreamSource(log: spool, hub: hub, lookup: JobLookup(store: FinishingWhileAsked(store: store, beforeLookup: beforeLookup)), configuration: .init())
    }

    @Test func aJobThatFinishesWhileTheStoreIsAskedIsReplayedFromItsSpool() async throws {
        try await withStoreAndSpool { store, spool in
            let accepted = try await store.enqueue(NewJob(kind: .landing, question: "Quick?", userId: "anonymous")).job
            let claimed = try #require(try await store.claim(lease: .seconds(30)))
            let token = try #require(claimed.leaseToken)
            let result = JobResult(jobId: accepted.id, answer: "Fast.", sessionId: accepted.sessionId)
            // The worker's whole run, between the stream's first look at the spool and its lookup.
            let finish: @Sendable () throws -> Void = {
                let writer = try SpoolWriter(spool: spool, job: accepted.id)
                try writer.append(event: "status", data: #"{"status":"PROCESSING"}"#)
                try writer.append(event: "delta", data: #"{"text":"Fast."}"#)
                try writer.append(event: "completed", data: #"{"answer":"Fast."}"#)
            }
            #expect(try await store.complete(jobId: accepted.id, leaseToken: token, result: result, terminalEventId: 3))

            let opening = try await source(spool, store, beforeLookup: finish).open(job: accepted.id, lastEventId: nil)
            guard case .stream(let session) = opening else {
                Issue.record("expected a stream")
                return
            }
            let (output, tail) = session.start()
            let sent = String(buffer: output)
            #expect(tail == nil, "the replay holds the end: nothing to wait for")
            #expect(sent.contains("event: delta\nid: 2\ndata: {\"text\":\"Fast.\"}\n\n"), "\(sent)")
            #expect(sent.hasSuffix("event: completed\nid: 3\ndata: {\"answer\":\"Fast.\"}\n\n"), "\(sent)")
        }
    }

    @Test func aBrowserThatComesJustBeforeTheClaimIsNotAStoreQuery() async throws {
        try await withStoreAndSpool { store, spool in
            let job = try await store.enqueue(NewJob(kind: .landing, question: "Soon?", userId: "anonymous")).job
            let lookups = Mutex(0)
            let hub = DeliveryHub()
            let source = source(spool, store, hub: hub) { lookups.withLock { $0 += 1 } }
            let opening = Task { try await source.open(job: job.id, lastEventId: nil) }
            // The worker claims a few milliseconds after the browser came, as it usually does.
            try await Task.sleep(for: .milliseconds(10))
            try SpoolWriter(spool: spool, job: job.id).append(event: "status", data: #"{"status":"PROCESSING"}"#)
            hub.logChanged(.job(job.id))
            guard case .stream(let session) = try await opening.value else {
                Issue.record("expected a stream")
                return
            }
            #expect(String(buffer: session.start().output).contains("PROCESSING"))
            #expect(lookups.withLock { $0 } == 0)
        }
    }

    /// The spool, counting the reads a stream makes of it.
    final class CountingReader: EventLogReader {
        let spool: Spool
        let reads = Mutex(0)

        init(spool: Spool) { self.spool = spool }

        var readCount: Int { reads.withLock { $0 } }

        func prepare(job: UUID) async throws(EventLogError) {}
        func refresh(job: UUID) async throws(EventLogError) {}
        func read(job: UUID, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead? {
            reads.withLock { $0 += 1 }
            return try spool.read(job: job, from: offset, maximumBytes: maximumBytes, wholeLongFrame: wholeLongFrame)
        }
        func skipFrame(job: UUID, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)? {
            try spool.skipFrame(job: job, at: offset, chunk: chunk)
        }
        func length(job: UUID) -> Int? { spool.length(job: job) }
        func bytes(job: UUID, from offset: Int, maximumBytes: Int) throws(EventLogError) -> ArraySlice<UInt8>? {
            try spool.bytes(job: job, from: offset, maximumBytes: maximumBytes)
        }
    }

    /// The heartbeat's backstop for an append no inotify event announced: a look at the log's
    /// length, and a read only when it grew.
    @Test func aDueWakeUpReadsTheLogOnlyWhenItGrewUnannounced() async throws {
        try await withStoreAndSpool { store, spool in
            let job = try await store.enqueue(NewJob(kind: .landing, question: "Heard?", userId: "anonymous")).job
            try SpoolWriter(spool: spool, job: job.id).append(event: "status", data: #"{"status":"PROCESSING"}"#)
            let reader = CountingReader(spool: spool)
            let hub = DeliveryHub()
            var configuration = JobStreamSource.Configuration()
            configuration.heartbeat = .milliseconds(1)
            let source = JobStreamSource(log: reader, hub: hub, lookup: JobLookup(store: store), configuration: configuration)
            guard case .stream(let session) = try await source.open(job: job.id, lastEventId: nil) else {
                Issue.record("expected a stream")
                return
            }
            var tail = try #require(session.start().tail)
            let readsAtStart = reader.readCount

            try await Task.sleep(for: .milliseconds(5))
            tail.scheduleWake()
            hub.fireDue(now: .now + .seconds(1))
            let idle = try tail.next()
            #expect(reader.readCount == readsAtStart, "nothing new: the length says so, no read")
            #expect(idle.output.map { String(buffer: $0) } == ": heartbeat\n\n")

            // An append the watcher never announced.
            try SpoolWriter(spool: spool, job: job.id).append(event: "delta", data: #"{"text":"Unannounced"}"#)
            tail.scheduleWake()
            hub.fireDue(now: .now + .seconds(2))
            let caught = try tail.next()
            #expect(reader.readCount == readsAtStart + 1)
            #expect(caught.output.map { String(buffer: $0) }?.contains("Unannounced") == true)
        }
    }

    @Test func aJobStillQueuedAfterTheGraceIsLookedUpOnce() async throws {
        try await withStoreAndSpool { store, spool in
            let job = try await store.enqueue(NewJob(kind: .landing, question: "Later?", userId: "anonymous")).job
            let lookups = Mutex(0)
            let opening = try await source(spool, store) { lookups.withLock { $0 += 1 } }.open(job: job.id, lastEventId: nil)
            guard case .stream(let session) = opening else {
                Issue.record("expected a stream")
                return
            }
            #expect(String(buffer: session.start().output).contains("QUEUED"))
            #expect(lookups.withLock { $0 } == 1)
        }
    }
}
