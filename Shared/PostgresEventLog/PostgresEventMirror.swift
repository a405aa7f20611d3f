import EventLog
import Foundation
import Logging
import Synchronization

/// A stream replica's copy of the logs of the jobs it serves, kept in memory from Postgres: a
/// job's frames are read from the table once, when its first browser comes, then grow from the
/// notifications (``PostgresEventFeed``) without a query. Connections read it synchronously on
/// their event loops, like a spool file; a job nobody waits on here is let go.
///
/// Gaps (a notification too big to carry its frames, one that came before the job's first read,
/// a listening connection that was lost) are read from the table by one statement for every job
/// that lags at that moment.
public final class PostgresEventMirror: EventLogReader {
    struct Log {
        var frames: [EventFrame] = []
        /// The byte offset at which each frame ends: positions as in a spool file.
        var ends: [Int] = []
        var lastId = 0
        var isLoaded = false
        var modified = Date()
        /// When a stream last opened on it: eviction spares a log a browser has just come back to.
        var lastPrepared = ContinuousClock.now
        var waiters: [CheckedContinuation<EventLogError?, Never>] = []
        /// Streams waiting for a read that starts after they asked (``refresh(job:)``).
        var refreshWaiters: [CheckedContinuation<EventLogError?, Never>] = []

        /// Appends the frames that continue the log; returns whether any did.
        mutating func append(_ new: some Sequence<EventFrame>) -> Bool {
            var grew = false
            for frame in new {
                guard let id = frame.id, id == lastId + 1 else { continue }
                frames.append(frame)
                ends.append((ends.last ?? 0) + frame.bytes.count)
                lastId = id
                grew = true
            }
            if grew { modified = Date() }
            return grew
        }

        /// The index of the frame that starts at `offset`.
        func index(startingAt offset: Int) -> Int? {
            if offset == 0 { return frames.isEmpty ? nil : 0 }
            var low = 0
            var high = ends.count - 1
            while low <= high {
                let middle = (low + high) / 2
                if ends[middle] == offset { return middle + 1 < frames.count ? middle + 1 : nil }
                if ends[middle] < offset { low = middle + 1 } else { high = middle - 1 }
            }
            return nil
        }
    }

    struct State {
        var logs: [UUID: Log] = [:]
        /// Jobs to read from the table, from their last id.
        var stale: Set<UUID> = []
        var fetching = false
        /// False while the replica cannot hear appends (its listening connection is down past
        /// the bound): new streams are refused, so browsers go to a replica that can.
        var available = true
    }

    /// What a stream opened while this replica does not hear the log is refused with.
    static let deaf = EventLogError(.unavailable, reason: "this replica does not hear the event log")

    private let log: PostgresEventLog
    private let state = Mutex(State())
    private let onChange: @Sendable (EventLogChange) -> Void
    private let logger: Logger

    /// - Parameter onChange: told (from any thread) which job's log grew.
    public init(log: PostgresEventLog, logger: Logger, onChange: @escaping @Sendable (EventLogChange) -> Void) {
        self.log = log
        self.logger = logger
        self.onChange = onChange
    }

    // MARK: Reading

    public func prepare(job: UUID) async throws(EventLogError) {
        let failure = await withCheckedContinuation { (continuation: CheckedContinuation<EventLogError?, Never>) in
            let answer = state.withLock { state -> EventLogError?? in
                guard state.available else { return .some(Self.deaf) }
                state.logs[job]?.lastPrepared = .now
                if state.logs[job]?.isLoaded == true { return .some(nil) }
                state.logs[job, default: Log()].waiters.append(continuation)
                state.stale.insert(job)
                return nil
            }
            if let answer { continuation.resume(returning: answer) } else { fetchIfIdle() }
        }
        if let failure { throw failure }
    }

    public func refresh(job: UUID) async throws(EventLogError) {
        let failure = await withCheckedContinuation { (continuation: CheckedContinuation<EventLogError?, Never>) in
            let answer = state.withLock { state -> EventLogError?? in
                guard state.available else { return .some(Self.deaf) }
                // Not prepared here: the next prepare reads the table anyway.
                guard state.logs[job] != nil else { return .some(nil) }
                state.logs[job]?.refreshWaiters.append(continuation)
                state.stale.insert(job)
                return nil
            }
            if let answer { continuation.resume(returning: answer) } else { fetchIfIdle() }
        }
        if let failure { throw failure }
    }

    public func length(job: UUID) -> Int? {
        state.withLock { state in
            guard let log = state.logs[job], log.isLoaded else { return nil }
            return log.ends.last ?? 0
        }
    }

    public func read(job: UUID, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead? {
        state.withLock { state in
            guard let log = state.logs[job], log.isLoaded, let total = log.ends.last else { return nil }
            guard offset < total, let first = log.index(startingAt: offset) else {
                return EventLogRead(frames: [], next: offset, modified: log.modified)
            }
            var frames: [EventFrame] = []
            var bytes = 0
            var index = first
            while index < log.frames.count {
                let size = log.frames[index].bytes.count
                if bytes + size > maximumBytes {
                    // A single frame longer than the limit is read whole, when asked.
                    guard frames.isEmpty, wholeLongFrame else { break }
                }
                frames.append(log.frames[index])
                bytes += size
                index += 1
                if bytes >= maximumBytes { break }
            }
            let next = index == first ? offset : log.ends[index - 1]
            return EventLogRead(frames: frames, next: next, modified: log.modified, isPartial: index < log.frames.count)
        }
    }

    public func skipFrame(job: UUID, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)? {
        state.withLock { state in
            guard let log = state.logs[job], log.isLoaded, let index = log.index(startingAt: offset) else { return nil }
            return (log.frames[index], log.ends[index])
        }
    }

    public func bytes(job: UUID, from offset: Int, maximumBytes: Int) throws(EventLogError) -> ArraySlice<UInt8>? {
        state.withLock { state in
            guard let log = state.logs[job], log.isLoaded else { return nil }
            // The frame that holds `offset`: the first whose end lies past it.
            var low = 0
            var high = log.ends.count
            while low < high {
                let middle = (low + high) / 2
                if log.ends[middle] <= offset { low = middle + 1 } else { high = middle }
            }
            guard low < log.frames.count else { return [] }
            let frame = log.frames[low].bytes
            let start = frame.startIndex + (offset - (log.ends[low] - frame.count))
            return frame[start..<min(frame.endIndex, start + max(0, maximumBytes))]
        }
    }

    // MARK: Keeping up

    /// Takes one notification's payload.
    func apply(payload: String) {
        guard let notification = PostgresEventNotification(payload: payload) else {
            logger.warning("unreadable event notification", metadata: ["bytes": "\(payload.utf8.count)"])
            return
        }
        // Split outside the lock that every connection's read takes.
        let frames = notification.frames.map { EventFrame.split(ArraySlice($0.utf8)).frames }
        let (grew, lags) = state.withLock { state -> (grew: Bool, lags: Bool) in
            // Jobs nobody waits on here cost a dictionary lookup.
            guard let log = state.logs[notification.job] else { return (false, false) }
            guard log.isLoaded else {
                // Its first read is under way and may not see this append: read again after it.
                state.stale.insert(notification.job)
                return (false, true)
            }
            guard notification.lastId > log.lastId else { return (false, false) }
            if let frames, notification.firstId <= log.lastId + 1 {
                // In place: a copy of the log would cost its whole length per append.
                return (state.logs[notification.job]?.append(frames) ?? false, false)
            }
            state.stale.insert(notification.job)
            return (false, true)
        }
        if grew { onChange(.job(notification.job)) }
        // Every notification of every job comes here: the lock again only for a gap to read.
        if lags { fetchIfIdle() }
    }

    /// Reads every job served here again from its last frame: after the listening connection
    /// came back, appends made while it was down are in the table only.
    func resynchronize() {
        state.withLock { state in
            state.available = true
            // Logs still loading too: their first read may have run before the connection came back.
            for job in state.logs.keys { state.stale.insert(job) }
        }
        fetchIfIdle()
    }

    /// Refuses new streams, and fails those being opened, until ``resynchronize()``.
    func setUnavailable() {
        let waiters = state.withLock { state -> [CheckedContinuation<EventLogError?, Never>] in
            state.available = false
            var waiters: [CheckedContinuation<EventLogError?, Never>] = []
            for (job, log) in state.logs {
                waiters += log.refreshWaiters
                state.logs[job]?.refreshWaiters = []
                guard !log.isLoaded else { continue }
                waiters += log.waiters
                state.logs[job] = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: Self.deaf) }
    }

    /// Lets go of the logs of jobs that no connection here waits on any more.
    func evict(keeping watched: Set<UUID>, olderThan age: Duration = .seconds(10)) {
        let now = ContinuousClock.now
        state.withLock { state in
            for (job, log) in state.logs where !watched.contains(job) && log.waiters.isEmpty && log.refreshWaiters.isEmpty && now - log.lastPrepared > age {
                state.logs[job] = nil
                state.stale.remove(job)
            }
        }
    }

    /// How many jobs' logs are held (for tests and metrics).
    var heldJobs: Int { state.withLock { $0.logs.count } }

    private func fetchIfIdle() {
        let start = state.withLock { state -> Bool in
            guard !state.stale.isEmpty, !state.fetching else { return false }
            state.fetching = true
            return true
        }
        if start { Task { await self.fetch() } }
    }

    /// Reads the stale jobs' new frames, all in one statement, until none is stale.
    private func fetch() async {
        while true {
            // A refresh waits for a read that starts after it asked: this one.
            var refreshed: [CheckedContinuation<EventLogError?, Never>] = []
            let wanted = state.withLock { state -> [(job: UUID, after: Int)] in
                defer { state.stale = [] }
                for job in state.stale {
                    refreshed += state.logs[job]?.refreshWaiters ?? []
                    state.logs[job]?.refreshWaiters = []
                }
                return state.stale.compactMap { job in state.logs[job].map { (job, $0.lastId) } }
            }
            guard !wanted.isEmpty else {
                if state.withLock({ state in
                    guard state.stale.isEmpty else { return false }
                    state.fetching = false
                    return true
                }) { return }
                continue
            }
            do {
                let found = try await log.frames(of: wanted)
                var grown: [UUID] = []
                var ready: [CheckedContinuation<EventLogError?, Never>] = []
                state.withLock { state in
                    for (job, _) in wanted where state.logs[job] != nil {
                        if state.logs[job]?.append(found[job] ?? []) == true { grown.append(job) }
                        state.logs[job]?.isLoaded = true
                        ready += state.logs[job]?.waiters ?? []
                        state.logs[job]?.waiters = []
                    }
                }
                for waiter in ready + refreshed { waiter.resume(returning: nil) }
                for job in grown { onChange(.job(job)) }
            } catch {
                logger.warning("event log read failed", metadata: ["jobs": "\(wanted.count)", "error": "\(error)"])
                // Streams being opened get a 503; jobs already served are read again shortly.
                let failed = state.withLock { state -> [CheckedContinuation<EventLogError?, Never>] in
                    var failed: [CheckedContinuation<EventLogError?, Never>] = []
                    for (job, _) in wanted {
                        guard let log = state.logs[job] else { continue }
                        if log.isLoaded {
                            state.stale.insert(job)
                        } else {
                            failed += log.waiters
                            state.logs[job] = nil
                        }
                    }
                    return failed
                }
                for waiter in failed + refreshed { waiter.resume(returning: error) }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
