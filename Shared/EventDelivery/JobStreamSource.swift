import Foundation
import Jobs
import NIOCore
import Spool
import Synchronization

/// Opens event streams for jobs from the spool, without touching the store for jobs that have
/// a spool file (every claimed job does).
public struct JobStreamSource: Sendable {
    public struct Configuration: Sendable {
        /// The comment line sent while idle.
        public var heartbeat: Duration = .seconds(15)
        /// The stream ends with `timeout` when the job has not ended by then.
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

    let spool: Spool
    let hub: DeliveryHub
    let lookup: JobLookup
    let configuration: Configuration

    public init(spool: Spool, hub: DeliveryHub, lookup: JobLookup, configuration: Configuration) {
        self.spool = spool
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
        let seen = lastEventId ?? 0
        let read: SpoolRead
        if let spooled = try spool.read(job: job, from: 0) {
            read = spooled
        } else if configuration.claimGrace > .zero, await Self.signalled(subscription, within: configuration.claimGrace),
            let spooled = try spool.read(job: job, from: 0)
        {
            // The worker claimed the job as the browser came: no need to ask the store.
            read = spooled
        } else {
            // No spool file yet: queued, or ended without one (a failure before any event).
            guard let stored = try await lookup.job(id: job) else { return .notFound }
            // A worker may have claimed and even finished the job while the store was asked: then
            // its spool holds every event, and the browser must get them all, not just the end.
            guard let spooled = try spool.read(job: job, from: 0) else {
                return opening(for: stored, spooledUpTo: 0, seen: seen, subscription: subscription, offset: 0)
            }
            read = spooled
        }
        let frames = read.frames
        if let terminal = frames.last(where: { $0.isTerminal }), let id = terminal.id {
            if seen >= id { return .ended }
        } else if seen > 0, seen >= (frames.last { $0.id != nil }?.id ?? 0) {
            // A client that has every spooled event of an unfinished spool: the store may know an end
            // the spool never got (a worker that died between commit and append). Ask once, batched,
            // so that a client given that end by the store is not sent it again on every reconnect.
            if let stored = try await lookup.job(id: job), stored.status.isTerminal {
                let spooledUpTo = frames.last { $0.id != nil }?.id ?? 0
                return opening(for: stored, spooledUpTo: spooledUpTo, seen: seen, subscription: subscription, offset: read.next)
            }
        }
        return .stream(JobEventSession(
            job: job, subscription: subscription, source: self, lastEventId: seen,
            initial: .replay(frames.filter { ($0.id ?? 0) > seen }), offset: read.next
        ))
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

extension SpoolFrame {
    /// Whether the stream ends with this frame.
    var isTerminal: Bool { event == "completed" || event == "failed" }
}
