import Logging
import Metrics
import ServiceLifecycle

/// Publishes the queue's state as gauges at an interval: `tutorline_jobs{status}` and
/// `tutorline_queue_oldest_age_seconds`. One query per interval, whatever the traffic.
public struct QueueMetricsReporter: Service {
    let store: any JobStore
    let interval: Duration
    let logger: Logger

    public init(store: any JobStore, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var wait = interval
            do {
                let statistics = try await store.queueStatistics()
                for status in JobStatus.allCases {
                    Gauge(label: "tutorline_jobs", dimensions: [("status", status.rawValue)]).record(statistics.counts[status] ?? 0)
                }
                let age = statistics.oldestQueuedAge.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
                Gauge(label: "tutorline_queue_oldest_age_seconds").record(age)
            } catch {
                // At start the schema may not be migrated yet; try again soon.
                logger.debug("queue statistics unavailable", metadata: ["error": "\(error)"])
                wait = min(interval, .seconds(1))
            }
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }
}
