import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Deletes finished jobs (their results, and with Postgres their events) once they are older than
/// the retention, in small batches, every `interval`. Conversations keep their messages; a spool
/// file of a deleted job goes at the event-log pruner's next sweep, which erases logs of jobs the
/// store no longer holds.
public struct JobRetention: Service {
    let store: any JobStore
    let retention: Duration
    let interval: Duration
    let batch: Int
    let logger: Logger

    public init(store: any JobStore, retention: Duration, interval: Duration = .seconds(600), batch: Int = 500, logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.batch = batch
        self.logger = logger
    }

    public func run() async throws {
        // Not at start, as the event-log pruner: a worker starting up claims its jobs first.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            await sweep()
        }
    }

    /// One pass: batch after batch until one comes back short. Returns how many jobs went.
    @discardableResult
    public func sweep(now: Date = Date()) async -> Int {
        let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
        var total = 0
        while !Task.isCancelled {
            do {
                let gone = try await store.pruneFinishedJobs(before: cutoff, limit: batch)
                total += gone.count
                if gone.count < batch { break }
            } catch {
                logger.warning("pruning finished jobs failed", metadata: ["error": "\(error)"])
                break
            }
            // Other writers get their turn between batches (SQLite has one writer at a time).
            try? await Task.sleep(for: .milliseconds(50))
        }
        if total > 0 {
            logger.info("finished jobs pruned", metadata: ["count": "\(total)", "older_than": "\(cutoff)"])
            Counter(label: "tutorline_jobs_pruned_total").increment(by: Int64(total))
        }
        return total
    }
}
