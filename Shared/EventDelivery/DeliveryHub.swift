import Foundation
import Jobs
import Metrics
import Spool
import Synchronization

/// Routes spool changes, clock ticks and store verdicts to the connections waiting on jobs:
/// one registry per stream process, so that one inotify watch and one clock serve every connection.
public final class DeliveryHub: Sendable {
    struct Entry {
        var listeners: [UInt64: AsyncStream<DeliverySignal>.Continuation] = [:]
        /// The last spool activity seen for the job (or when the first listener came).
        var lastActivity: ContinuousClock.Instant
    }

    struct State {
        var jobs: [UUID: Entry] = [:]
        var nextListener: UInt64 = 0
        var connections = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of connections waiting.
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// Registers a connection for a job's signals until the subscription is released.
    public func subscribe(job: UUID) -> DeliverySubscription {
        // A few signals are plenty: they only say "look again", and the store verdict is sent again at the next sweep.
        let (stream, continuation) = AsyncStream<DeliverySignal>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let id = state.withLock { state in
            state.nextListener &+= 1
            state.connections += 1
            state.jobs[job, default: Entry(lastActivity: .now)].listeners[state.nextListener] = continuation
            Gauge(label: "tutorline_sse_connections").record(state.connections)
            return state.nextListener
        }
        return DeliverySubscription(hub: self, job: job, id: id, signals: stream)
    }

    func unsubscribe(job: UUID, id: UInt64) {
        let continuation = state.withLock { state -> AsyncStream<DeliverySignal>.Continuation? in
            guard let removed = state.jobs[job]?.listeners.removeValue(forKey: id) else { return nil }
            state.connections -= 1
            Gauge(label: "tutorline_sse_connections").record(state.connections)
            if state.jobs[job]?.listeners.isEmpty == true { state.jobs[job] = nil }
            return removed
        }
        continuation?.finish()
    }

    func signal(_ signal: DeliverySignal, job: UUID, id: UInt64) {
        state.withLock { $0.jobs[job]?.listeners[id] }?.yield(signal)
    }

    /// Called by the spool watcher.
    public func spoolChanged(_ change: SpoolChange) {
        switch change {
        case .job(let job):
            let listeners = state.withLock { state -> [AsyncStream<DeliverySignal>.Continuation] in
                guard state.jobs[job] != nil else { return [] }
                state.jobs[job]?.lastActivity = .now
                return Array(state.jobs[job]?.listeners.values ?? [:].values)
            }
            for listener in listeners { listener.yield(.spoolChanged) }
        case .unknown:
            broadcast(.spoolChanged)
        }
    }

    /// Sends every connection a clock tick.
    public func tick() {
        broadcast(.tick)
    }

    /// The jobs whose spool has been silent for at least `silence`.
    public func silentJobs(for silence: Duration) -> [UUID] {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.jobs.compactMap { job, entry in now - entry.lastActivity >= silence ? job : nil }
        }
    }

    /// Delivers the store's word on jobs that ended while their spool stayed silent.
    public func deliver(ended jobs: [Job]) {
        for job in jobs where job.status.isTerminal {
            let listeners = state.withLock { Array($0.jobs[job.id]?.listeners.values ?? [:].values) }
            for listener in listeners { listener.yield(.stored(job)) }
        }
    }

    private func broadcast(_ signal: DeliverySignal) {
        let listeners = state.withLock { state in state.jobs.values.flatMap { $0.listeners.values } }
        for listener in listeners { listener.yield(signal) }
    }
}

/// A connection's registration with the hub; released when the connection ends.
public final class DeliverySubscription: Sendable {
    let hub: DeliveryHub
    let job: UUID
    let id: UInt64
    /// The signals for this connection.
    public let signals: AsyncStream<DeliverySignal>

    init(hub: DeliveryHub, job: UUID, id: UInt64, signals: AsyncStream<DeliverySignal>) {
        self.hub = hub
        self.job = job
        self.id = id
        self.signals = signals
    }

    /// Tells this connection to end now (graceful shutdown).
    func drain() {
        hub.signal(.draining, job: job, id: id)
    }

    deinit { hub.unsubscribe(job: job, id: id) }
}
