import Foundation
import Jobs
import NIOCore
import Spool

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
        /// How many clock ticks between checks of the spool file that do not wait for inotify.
        public var backstopTicks = 3

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
        if let read = try spool.read(job: job, from: 0) {
            let frames = read.frames
            if let terminal = frames.last(where: { $0.isTerminal }), let id = terminal.id, seen >= id {
                return .ended
            }
            return .stream(JobEventSession(
                job: job, subscription: subscription, source: self, lastEventId: seen,
                initial: .replay(frames.filter { ($0.id ?? 0) > seen }), offset: read.next
            ))
        }
        guard let stored = try await lookup.job(id: job) else { return .notFound }
        if let terminal = JobEvent.terminal(of: stored) {
            let id = stored.terminalEventId ?? 1
            if seen >= id { return .ended }
            return .stream(JobEventSession(
                job: job, subscription: subscription, source: self, lastEventId: seen,
                initial: .ended(terminal, id: id), offset: 0
            ))
        }
        return .stream(JobEventSession(
            job: job, subscription: subscription, source: self, lastEventId: seen,
            initial: .status(stored.status), offset: 0
        ))
    }
}

extension SpoolFrame {
    /// Whether the stream ends with this frame.
    var isTerminal: Bool { event == "completed" || event == "failed" }
}
