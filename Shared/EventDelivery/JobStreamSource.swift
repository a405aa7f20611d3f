import Foundation
import Jobs
import NIOCore
import EventLog
import Synchronization

/// Opens event streams for jobs from their event log (the spool, or Postgres), without touching
/// the store for jobs that have a log (every claimed job does).
public struct JobStreamSource: Sendable {
    public struct Configuration: Sendable {
        /// The comment line sent while idle.
        public var heartbeat: Duration = .seconds(15)
        /// The stream ends with `timeout` when the job made no progress (no new event) for this long.
        public var timeout: Duration = .seconds(90)
        /// The `retry:` sent first (milliseconds a browser waits before reconnecting).
        public var retryMilliseconds = 2000
        /// How long a stream whose job has no spool file yet waits for the worker to create it
        /// before asking the store: a browser usually connects a few milliseconds before the claim.
        public var claimGrace: Duration = .milliseconds(50)
        /// The most a connection is handed from the spool at once: a long replay goes out a chunk at
        /// a time as the browser reads it.
        public var replayChunk = 64 * 1024
        public init() {}
    }

    let log: any EventLogReader
    let hub: DeliveryHub
    let lookup: JobLookup
    let configuration: Configuration

    public init(log: any EventLogReader, hub: DeliveryHub, lookup: JobLookup, configuration: Configuration) {
        self.log = log
        self.hub = hub
        self.lookup = lookup
        self.configuration = configuration
    }

    /// How a stream request is to be answered.
    public enum Opening: Sendable {
        /// The job ended and the client has every event (204, so `EventSource` stops).
        case ended
        /// No such job (404).
        case notFound
        /// Events to send (200).
        case stream(JobEventSession)
    }

    /// Decides how to answer a client that has seen events up to `lastEventId`.
    public func open(job: UUID, lastEventId: Int?) async throws -> Opening {
        // Subscribe before the first read, so that no append falls between the read and the wait.
        let subscription = hub.subscribe(job: job)
        try await log.prepare(job: job)
        let seen = lastEventId ?? 0
        var scan: LogScan
        if let spooled = try scanLog(job: job, after: seen) {
            scan = spooled
        } else if configuration.claimGrace > .zero, await Self.signalled(subscription, within: configuration.claimGrace),
            let spooled = try scanLog(job: job, after: seen)
        {
            // The worker claimed the job as the browser came: no need to ask the store.
            scan = spooled
        } else {
            // No spool file yet: queued, or ended without one (a failure before any event).
            guard let stored = try await lookup.job(id: job) else { return .notFound }
            // A worker may have claimed and even finished the job while the store was asked: then
            // its spool holds every event, and the browser must get them all, not just the end
            // (a replica's copy of the Postgres log may lag the table: read it afresh; should that
            // read fail, the store's end is still an answer).
            if stored.status.isTerminal { try? await log.refresh(job: job) }
            guard let spooled = try scanLog(job: job, after: seen) else {
                return opening(for: stored, spooledUpTo: 0, seen: seen, subscription: subscription, offset: 0)
            }
            scan = spooled
        }
        if let id = scan.terminalId {
            if seen >= id { return .ended }
        } else if seen > 0, seen >= scan.lastId ?? 0 {
            // A client that has every spooled event of an unfinished spool: the store may know an end
            // the spool never got (a worker that died between commit and append). Ask once, batched,
            // so that a client given that end by the store is not sent it again on every reconnect.
            if let stored = try await lookup.job(id: job), stored.status.isTerminal {
                try? await log.refresh(job: job)
                guard let fresh = try scanLog(job: job, after: seen), (fresh.lastId ?? 0) > seen else {
                    return opening(for: stored, spooledUpTo: scan.lastId ?? 0, seen: seen, subscription: subscription, offset: scan.resumeOffset)
                }
                scan = fresh
            }
        }
        var session = JobEventSession(
            job: job, subscription: subscription, source: self, lastEventId: seen, initial: .replay(scan.frames), offset: scan.resumeOffset
        )
        session.replayIsCut = scan.isCut
        return .stream(session)
    }

    /// What a job's spool file holds for a client that has seen events up to `seen`.
    struct LogScan {
        /// The frames after `seen`, up to about one chunk.
        var frames: [EventFrame] = []
        /// Where reading goes on past `frames`.
        var resumeOffset = 0
        /// Whether more frames after `seen` follow `frames` (the replay was cut at a chunk).
        var isCut = false
        var lastId: Int?
        var terminalId: Int?
    }

    /// Reads the file a chunk at a time, keeping only the first chunk of what the client lacks,
    /// so opening a stream on a long answer holds no more than that; nil when there is no file.
    func scanLog(job: UUID, after seen: Int) throws -> LogScan? {
        var scan = LogScan()
        var collected = 0
        var offset = 0
        while true {
            guard let read = try log.read(job: job, from: offset, maximumBytes: configuration.replayChunk, wholeLongFrame: false) else {
                return offset == 0 ? nil : scan
            }
            if read.frames.isEmpty, read.isPartial {
                // A frame longer than a chunk (a long answer's end repeats it whole): stepped over,
                // never held.
                guard let skipped = try log.skipFrame(job: job, at: offset, chunk: configuration.replayChunk) else { return scan }
                let id = skipped.header.id
                if let id { scan.lastId = id }
                if skipped.header.isTerminal { scan.terminalId = id }
                // The client lacks it: the replay stops before it and the tail sends it in slices.
                if !scan.isCut, (id ?? 0) > seen { scan.isCut = true }
                offset = skipped.next
                if !scan.isCut { scan.resumeOffset = offset }
                continue
            }
            var position = offset
            for frame in read.frames {
                position += frame.bytes.count
                if let id = frame.id { scan.lastId = id }
                if frame.isTerminal { scan.terminalId = frame.id }
                guard !scan.isCut, (frame.id ?? 0) > seen else { continue }
                if collected >= configuration.replayChunk {
                    scan.isCut = true
                    continue
                }
                scan.frames.append(frame)
                collected += frame.bytes.count
                scan.resumeOffset = position
            }
            offset = read.next
            if !scan.isCut { scan.resumeOffset = offset }
            if !read.isPartial { return scan }
        }
    }

    /// Whether the hub signals the job within `limit`. Takes the signal, so that the connection's
    /// own notification starts afresh.
    static func signalled(_ subscription: DeliverySubscription, within limit: Duration) async -> Bool {
        let waiter = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        let came = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            waiter.withLock { $0 = continuation }
            let resume: @Sendable (Bool) -> Void = { value in waiter.withLock { $0.take() }?.resume(returning: value) }
            subscription.onSignal { resume(true) }
            Task {
                try? await Task.sleep(for: limit)
                resume(false)
            }
        }
        subscription.stopSignals()
        _ = subscription.take()
        return came
    }

    /// The answer for a client when the store's word decides: the end (from the store), or the
    /// status while the job waits.
    private func opening(
        for stored: Job, spooledUpTo: Int, seen: Int, subscription: DeliverySubscription, offset: Int
    ) -> Opening {
        if let terminal = JobEvent.terminal(of: stored) {
            let id = Self.terminalEventId(of: stored, spooledUpTo: spooledUpTo)
            if seen >= id { return .ended }
            return .stream(JobEventSession(
                job: stored.id, subscription: subscription, source: self, lastEventId: seen,
                initial: .ended(terminal, id: id), offset: offset
            ))
        }
        return .stream(JobEventSession(
            job: stored.id, subscription: subscription, source: self, lastEventId: seen,
            initial: .status(stored.status), offset: offset
        ))
    }

    /// The id of a job's terminal event when the spool does not hold it: the id the worker recorded
    /// with the result, or the one after the last spooled event. Every replica computes the same.
    static func terminalEventId(of job: Job, spooledUpTo: Int) -> Int {
        max(job.terminalEventId ?? 0, spooledUpTo + 1)
    }
}
