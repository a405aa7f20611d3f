import Jobs
import Logging
import ServiceLifecycle
import Synchronization

/// The hub's clock: turns the timer wheel (heartbeats, timeouts, spool checks, each connection
/// at its own time) and, for jobs whose spool stayed silent, asks the store in one batched query
/// whether they ended: the cover for a worker that died between committing a result and
/// appending its terminal event.
public struct DeliveryClock: Service {
    public struct Configuration: Sendable {
        /// How often silent jobs are checked in the store.
        public var sweepInterval: Duration = .seconds(2)
        /// How long a job's spool must stay silent before the store is asked.
        public var silence: Duration = .seconds(5)

        public init() {}
    }

    let hub: DeliveryHub
    let store: any JobStore
    let configuration: Configuration
    let logger: Logger

    public init(hub: DeliveryHub, store: any JobStore, configuration: Configuration = .init(), logger: Logger) {
        self.hub = hub
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let clock = ContinuousClock()
        var nextSweep = clock.now + configuration.sweepInterval
        let sweeping = SweepGate()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: hub.granularity) }
                let now = clock.now
                hub.fireDue(now: now)
                // The sweep runs beside the wheel: a store that takes its whole deadline to answer
                // (an outage) must not hold up every heartbeat and timeout. One sweep at a time.
                if now >= nextSweep, sweeping.enter() {
                    nextSweep = now + configuration.sweepInterval
                    group.addTask {
                        await sweep()
                        sweeping.leave()
                    }
                }
            }
        }
    }

    /// One store query for all silent jobs of this process.
    func sweep() async {
        let silent = hub.silentJobs(for: configuration.silence)
        guard !silent.isEmpty else { return }
        do {
            hub.deliver(ended: try await store.jobs(ids: silent))
        } catch {
            logger.warning("store check of silent jobs failed", metadata: ["jobs": "\(silent.count)", "error": "\(error)"])
        }
    }
}

/// Lets one sweep run at a time.
private final class SweepGate: Sendable {
    private let running = Atomic<Bool>(false)

    /// Whether the caller may start a sweep (none is running).
    func enter() -> Bool { !running.exchange(true, ordering: .acquiringAndReleasing) }

    func leave() { running.store(false, ordering: .releasing) }
}
