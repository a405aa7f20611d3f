import EventLog
import Foundation
import Logging
import PostgresNIO
import PostgresStore
import SSE
import Spool
import Synchronization
import TestSupport
import Testing

@testable import PostgresEventLog

/// Every event log behaviour, run against both logs from one suite (as the store suite runs
/// against both stores): what the worker writes, what a replica reads, what the pruner keeps.
@Suite struct EventLogTests {
    /// One log under test: where to write, how a replica reads it, and how to age a job's log.
    struct Fixture: Sendable {
        var log: any EventLog
        var reader: any EventLogReader
        /// Makes a job's log look last written `hours` ago.
        var age: @Sendable (UUID, Double) async throws -> Void
    }

    static func withLog<T: Sendable>(_ kind: EventLogKind, _ body: @Sendable (Fixture) async throws -> T) async throws -> T {
        switch kind {
        case .spool:
            let spool = Spool(directory: NSTemporaryDirectory() + "event-log-test-\(UUID().uuidString)")
            try spool.prepare()
            defer { try? FileManager.default.removeItem(atPath: spool.directory) }
            return try await body(Fixture(log: spool, reader: spool) { job, hours in
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-hours * 3600)], ofItemAtPath: spool.path(for: job))
            })
        case .postgres:
            return try await withPostgresClient { client in
                let logger = Logger(label: "test")
                try await PostgresJobStore(client: client, logger: logger).migrate()
                let log = PostgresEventLog(client: client, logger: logger)
                let mirror = PostgresEventMirror(log: log, logger: logger) { _ in }
                return try await body(Fixture(log: log, reader: mirror) { job, hours in
                    try await client.query(
                        "UPDATE job_events SET written_at = now() - make_interval(secs => \(hours * 3600)) WHERE job_id = \(job)", logger: logger
                    )
                })
            }
        }
    }

    @Test(arguments: EventLogKind.allCases) func aWriterNumbersOnFromWhatAnEarlierAttemptWrote(kind: EventLogKind) async throws {
        try await Self.withLog(kind) { fixture in
            let job = UUID()
            let first = try await fixture.log.writer(for: job, startsEmpty: true)
            #expect(first.existingFrames.isEmpty && first.lastEventId == 0)
            #expect(try first.append(event: "status", data: #"{"status":"PROCESSING"}"#) == 1)
            #expect(try first.append(event: "delta", data: #"{"text":"Hel"}"#) == 2)
            #expect(try first.append(event: "delta", data: "two\nlines") == 3)
            try await first.flush()

            let second = try await fixture.log.writer(for: job, startsEmpty: false)
            #expect(second.existingFrames.map(\.id) == [1, 2, 3])
            #expect(second.existingFrames.map(\.event) == ["status", "delta", "delta"])
            #expect(second.existingFrames[2].data == "two\nlines")
            #expect(second.lastEventId == 3)
            #expect(try second.append(event: "completed", data: "{}") == 4)
            try await second.flush()

            try await fixture.reader.prepare(job: job)
            let read = try #require(try fixture.reader.read(job: job, from: 0))
            #expect(read.frames.map(\.id) == [1, 2, 3, 4])
            #expect(read.frames.last?.isTerminal == true)
            #expect(read.frames.map { Array($0.bytes) } == (second.existingFrames + [read.frames[3]]).map { Array($0.bytes) })
            #expect(try fixture.reader.read(job: job, from: read.next)?.frames.isEmpty == true)
            #expect(try fixture.reader.read(job: UUID(), from: 0) == nil, "a job without a log reads as nil")
            // The heartbeat's cheap look: the length is where a whole read ends.
            #expect(fixture.reader.length(job: job) == read.next)
            #expect(fixture.reader.length(job: UUID()) == nil)
        }
    }

    @Test(arguments: EventLogKind.allCases) func aReplicaReadsInChunksAndStepsOverAFrameLongerThanOne(kind: EventLogKind) async throws {
        try await Self.withLog(kind) { fixture in
            let job = UUID()
            let writer = try await fixture.log.writer(for: job, startsEmpty: false)
            for index in 1...10 { try writer.append(event: "delta", data: String(repeating: "\(index % 10)", count: 100)) }
            try writer.append(event: "completed", data: String(repeating: "x", count: 5000))
            try await writer.flush()
            try await fixture.reader.prepare(job: job)

            let whole = try #require(try fixture.reader.read(job: job, from: 0))
            let chunk = try #require(try fixture.reader.read(job: job, from: 0, maximumBytes: 400, wholeLongFrame: true))
            #expect(chunk.isPartial && !chunk.frames.isEmpty && chunk.frames.count < 10)
            #expect(chunk.frames.map(\.bytes.count).reduce(0, +) <= 400)
            // Chunk after chunk, the positions line up with one whole read.
            var offset = chunk.next
            var ids = chunk.frames.compactMap(\.id)
            while let next = try fixture.reader.read(job: job, from: offset, maximumBytes: 400, wholeLongFrame: false), !next.frames.isEmpty {
                ids += next.frames.compactMap(\.id)
                offset = next.next
            }
            #expect(ids == Array(1...10), "stops before the long frame when it is not to be read whole")
            let long = try #require(try fixture.reader.read(job: job, from: offset, maximumBytes: 400, wholeLongFrame: false))
            #expect(long.frames.isEmpty && long.isPartial)
            let skipped = try #require(try fixture.reader.skipFrame(job: job, at: offset, chunk: 400))
            #expect(skipped.header.id == 11 && skipped.header.event == "completed")
            #expect(skipped.next == whole.next)
            // The long frame a slice at a time, from inside it too: together, exactly its bytes.
            var slices: [UInt8] = []
            var position = offset
            while position < skipped.next {
                let slice = try #require(try fixture.reader.bytes(job: job, from: position, maximumBytes: min(400, skipped.next - position)))
                #expect(!slice.isEmpty && slice.count <= 400)
                slices += slice
                position += slice.count
            }
            #expect(slices == Array(try #require(whole.frames.last).bytes))
            #expect(try fixture.reader.bytes(job: job, from: whole.next, maximumBytes: 400)?.isEmpty == true, "nothing past the end")
            #expect(try fixture.reader.bytes(job: UUID(), from: 0, maximumBytes: 400) == nil, "no log")
        }
    }

    @Test(arguments: EventLogKind.allCases) func thePrunerDeletesTheLogsOfJobsThatEndedLongerAgoThanTheRetention(kind: EventLogKind) async throws {
        try await Self.withLog(kind) { fixture in
            func job(ended: Bool, age hours: Double) async throws -> UUID {
                let job = UUID()
                let writer = try await fixture.log.writer(for: job, startsEmpty: false)
                try writer.append(event: "status", data: #"{"status":"PROCESSING"}"#)
                try writer.append(event: "delta", data: #"{"text":"Hi"}"#)
                if ended { try writer.append(event: "completed", data: #"{"answer":"Hi\n\nthere"}"#) }
                try await writer.flush()
                try await fixture.age(job, hours)
                return job
            }
            let endedOld = try await job(ended: true, age: 48)
            let endedRecent = try await job(ended: true, age: 1)
            // Without its end: maybe a job waiting for another attempt, kept seven retentions.
            let unendedOld = try await job(ended: false, age: 48)
            let unendedAncient = try await job(ended: false, age: 24 * 8)

            let pruner = EventLogPruner(log: fixture.log, retention: .seconds(24 * 3600), logger: Logger(label: "test"))
            #expect(try await pruner.prune() == 2)
            for (job, kept) in [(endedOld, false), (endedRecent, true), (unendedOld, true), (unendedAncient, false)] {
                #expect(try await fixture.log.writer(for: job, startsEmpty: false).existingFrames.isEmpty != kept)
            }
            #expect(try await pruner.prune() == 0)
        }
    }

    /// The stream's answer to a job the store says ended: a replica's copy, behind its
    /// notifications (here none come at all), is read afresh and holds every event written before.
    @Test(arguments: EventLogKind.allCases) func aRefreshSeesEveryEventWrittenBeforeIt(kind: EventLogKind) async throws {
        try await Self.withLog(kind) { fixture in
            let job = UUID()
            let writer = try await fixture.log.writer(for: job, startsEmpty: true)
            try writer.append(event: "status", data: #"{"status":"PROCESSING"}"#)
            try await writer.flush()
            try await fixture.reader.prepare(job: job)
            #expect(try fixture.reader.read(job: job, from: 0)?.frames.count == 1)
            try writer.append(event: "delta", data: #"{"text":"Hi"}"#)
            try writer.append(event: "completed", data: #"{"answer":"Hi"}"#)
            try await writer.flush()
            try await fixture.reader.refresh(job: job)
            #expect(try fixture.reader.read(job: job, from: 0)?.frames.compactMap(\.event) == ["status", "delta", "completed"])
            // A job this replica never prepared: nothing to refresh, and no error.
            try await fixture.reader.refresh(job: UUID())
        }
    }

    @Test(arguments: EventLogKind.allCases) func theSweepErasesTheLogsOfJobsTheStoreNoLongerHolds(kind: EventLogKind) async throws {
        try await Self.withLog(kind) { fixture in
            let kept = UUID()
            let deleted = UUID()
            for job in [kept, deleted] {
                let writer = try await fixture.log.writer(for: job, startsEmpty: true)
                try writer.append(event: "delta", data: #"{"text":"Hi"}"#)
                try await writer.flush()
            }
            #expect(Set(try await fixture.log.loggedJobs()) == [kept, deleted])
            let pruner = EventLogPruner(log: fixture.log, retention: .seconds(3600), existingJobs: { ids in Set(ids).intersection([kept]) }, logger: Logger(label: "test"))
            #expect(try await pruner.sweep() == 1)
            #expect(try await fixture.log.loggedJobs() == [kept])
            #expect(try await pruner.sweep() == 0)
            try await fixture.reader.prepare(job: deleted)
            #expect(try fixture.reader.read(job: deleted, from: 0) == nil)
            try await fixture.reader.prepare(job: kept)
            #expect(try fixture.reader.read(job: kept, from: 0)?.frames.count == 1)
            // Without a store to ask, nothing is swept.
            #expect(try await EventLogPruner(log: fixture.log, retention: .seconds(3600), logger: Logger(label: "test")).sweep() == 0)
        }
    }

    /// Two writers numbering the same ids (an attempt that lost its lease still writing): the
    /// second's append fails and says so, at its flush and at every later append.
    @Test func aRowThatCannotBeWrittenFailsTheWriter() async throws {
        try await withPostgresClient { client in
            let logger = Logger(label: "test")
            try await PostgresJobStore(client: client, logger: logger).migrate()
            let log = PostgresEventLog(client: client, logger: logger)
            let job = UUID()
            let first = try await log.writer(for: job, startsEmpty: true)
            let second = try await log.writer(for: job, startsEmpty: true)
            try first.append(event: "delta", data: "mine")
            try await first.flush()
            try second.append(event: "delta", data: "theirs")
            await #expect(throws: EventLogError.self) { try await second.flush() }
            #expect(throws: EventLogError.self) { try second.append(event: "delta", data: "more") }
            #expect(try await log.writer(for: job, startsEmpty: false).existingFrames.map(\.data) == ["mine"])
        }
    }

    /// Appends of several jobs made while a statement is under way go in one statement; a row the
    /// server refuses in such a statement fails only its own job's append.
    @Test(.timeLimit(.minutes(1))) func appendsOfManyJobsShareAStatementAndOneRefusedFailsOnlyItsJob() async throws {
        try await withPostgresClient { client in
            let logger = Logger(label: "test")
            try await PostgresJobStore(client: client, logger: logger).migrate()
            let log = PostgresEventLog(client: client, logger: logger)
            let queue = log.appends
            func frame(_ id: Int, _ text: String) -> PostgresAppendQueue.Frame {
                (id, ServerSentEvent(event: "delta", data: text, id: String(id)).framed, false)
            }
            let taken = UUID()
            #expect(try await queue.submit(job: taken, frames: [frame(1, "first")]).get() == ())

            /// Submits `first` while the table is locked, so that its statement waits and `rest`
            /// queue behind it; then unlocks and returns each one's outcome.
            func submitBehindALock(
                first: (UUID, [PostgresAppendQueue.Frame]), rest: [(UUID, [PostgresAppendQueue.Frame])]
            ) async throws -> [UUID: Result<Void, EventLogError>] {
                try await client.withConnection { locker in
                    try await locker.query("BEGIN", logger: logger)
                    try await locker.query("LOCK TABLE job_events IN EXCLUSIVE MODE", logger: logger)
                    return try await withThrowingTaskGroup(of: (UUID, Result<Void, EventLogError>).self) { group in
                        group.addTask { (first.0, await queue.submit(job: first.0, frames: first.1)) }
                        try await Self.eventually {
                            var waiting = 0
                            for try await count in try await client.query(
                                "SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                                logger: logger
                            ).decode(Int.self) { waiting = count }
                            return waiting == 1
                        }
                        for (job, frames) in rest { group.addTask { (job, await queue.submit(job: job, frames: frames)) } }
                        try await Self.eventually { queue.waiting == rest.count }
                        try await locker.query("COMMIT", logger: logger)
                        var outcomes: [UUID: Result<Void, EventLogError>] = [:]
                        for try await (job, outcome) in group { outcomes[job] = outcome }
                        return outcomes
                    }
                }
            }

            let (a, b, c, d) = (UUID(), UUID(), UUID(), UUID())
            var before = queue.statements
            let batches = [a: [frame(1, "a")], b: [frame(1, "b"), frame(2, "b2")], c: [frame(1, "c")], d: [frame(1, "d")]]
            // A replica's view: one notification per job, with that job's frames.
            let (outcomes, heard) = try await client.withConnection { listener in
                try await listener.listen(on: PostgresEventLog.channel) { notifications in
                    let outcomes = try await submitBehindALock(first: (a, batches[a] ?? []), rest: [b, c, d].map { ($0, batches[$0] ?? []) })
                    var heard: [PostgresEventNotification] = []
                    for try await notification in notifications {
                        heard.append(try #require(PostgresEventNotification(payload: notification.payload)))
                        if heard.count == batches.count { break }
                    }
                    return (outcomes, heard)
                }
            }
            #expect(outcomes.values.allSatisfy { (try? $0.get()) != nil })
            #expect(queue.statements - before == 2, "the three that waited went in one statement")
            #expect(Set(heard.map(\.job)) == Set(batches.keys))
            for notification in heard {
                let sent = batches[notification.job] ?? []
                #expect(notification.firstId == sent.first?.id && notification.lastId == sent.last?.id)
                #expect(notification.frames == sent.map(\.frame).joined())
            }
            let found = try await log.frames(of: [(a, 0), (b, 0), (c, 0), (d, 0)])
            #expect(found.mapValues { $0.map(\.data) } == [a: ["a"], b: ["b", "b2"], c: ["c"], d: ["d"]])

            let (e, f) = (UUID(), UUID())
            before = queue.statements
            let mixed = try await submitBehindALock(
                first: (e, [frame(1, "e")]), rest: [(f, [frame(1, "f")]), (taken, [frame(1, "again")])]
            )
            #expect((try? mixed[e]?.get()) != nil && (try? mixed[f]?.get()) != nil)
            #expect(mixed[taken].map { (try? $0.get()) == nil } == true, "the duplicate id is refused")
            #expect(queue.statements - before == 4, "the refused statement, then each of its jobs alone")
            let after = try await log.frames(of: [(e, 0), (f, 0), (taken, 0)])
            #expect(after.mapValues { $0.map(\.data) } == [e: ["e"], f: ["f"], taken: ["first"]])
        }
    }

    @Test func aNotificationCarriesItsFramesWhenTheyFitAndOnlyTheRangeOtherwise() throws {
        let job = UUID()
        let frames = ServerSentEvent(event: "delta", data: "a", id: "3").framed + ServerSentEvent(event: "delta", data: "b", id: "4").framed
        let small = PostgresEventNotification(job: job, firstId: 3, lastId: 4, frames: frames)
        #expect(PostgresEventNotification(payload: small.payload(limit: 7999)) == small)
        let big = PostgresEventNotification(job: job, firstId: 3, lastId: 4, frames: frames + String(repeating: "x", count: 8000))
        let rangeOnly = try #require(PostgresEventNotification(payload: big.payload(limit: 7999)))
        #expect(rangeOnly.frames == nil && rangeOnly.firstId == 3 && rangeOnly.lastId == 4 && rangeOnly.job == job)
        #expect(big.payload(limit: 7999).utf8.count < 8000)
        #expect(PostgresEventNotification(payload: "not a notification") == nil)
        #expect(PostgresEventNotification(payload: "\(job) 5 4") == nil)
    }

    /// A replica's mirror over a real LISTEN connection: appends reach it with their frames, big
    /// ones by a read of the range, and a job nobody waits on is not held.
    @Test func aReplicaHearsAppendsSmallAndBigWithoutAQueryPerAppend() async throws {
        try await withPostgresClient { client, url in
            let logger = Logger(label: "test")
            try await PostgresJobStore(client: client, logger: logger).migrate()
            let log = PostgresEventLog(client: client, logger: logger)
            let changes = Mutex<[UUID]>([])
            let mirror = PostgresEventMirror(log: log, logger: logger) { change in
                if case .job(let job) = change { changes.withLock { $0.append(job) } }
            }
            let watched = UUID()
            let feed = PostgresEventFeed(
                connection: try url.connectionConfiguration(), mirror: mirror, watchedJobs: { [watched] }, onLost: {}, logger: logger
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                defer { group.cancelAll() }
                try await mirror.prepare(job: watched)
                #expect(try mirror.read(job: watched, from: 0) == nil)
                // The feed may take a moment to listen; an append before then is read on resync.
                let writer = try await log.writer(for: watched, startsEmpty: false)
                try writer.append(event: "status", data: #"{"status":"PROCESSING"}"#)
                try await writer.flush()
                try await Self.eventually { try mirror.read(job: watched, from: 0)?.frames.count == 1 }
                try writer.append(event: "delta", data: String(repeating: "y", count: 9000))
                try writer.append(event: "delta", data: "small")
                try await writer.flush()
                try await Self.eventually { try mirror.read(job: watched, from: 0)?.frames.map(\.id) == [1, 2, 3] }
                #expect(try mirror.read(job: watched, from: 0)?.frames[1].data == String(repeating: "y", count: 9000))
                #expect(changes.withLock { $0 }.allSatisfy { $0 == watched })

                let other = UUID()
                try await log.writer(for: other, startsEmpty: false).append(event: "status", data: "{}")
                #expect(mirror.heldJobs == 1, "nothing is held for a job nobody waits on here")
            }
        }
    }

    static func eventually(_ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
