import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Deletes finished jobs (their results, and with Postgres their events) once they are older than
/// the retention, in small batches, every `interval`. Conversations keep their messages; a spool
/// file of a deleted job goes at the event-log pruner's next sweep, which erases logs of jobs the
/// store no longer holds. Per-user question windows an hour old go too, whatever the retention.
public struct JobRetention: Service {
    let store: any JobStore
    /// nil: finished jobs are kept (`JOB_RETENTION_DAYS=0`).
    let retention: Duration?
    let interval: Duration
    let batch: Int
    let logger: Logger

    /// A window of per-user limits is a minute long; an hour on, nothing reads it any more.
    static let questionWindowAge: TimeInterval = 3600

    public init(store: any JobStore, retention: Duration?, interval: Duration = .seconds(600), batch: Int = 500, logger: Logger) {
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
        var total = 0
        if let retention {
            let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
            total = await inBatches("finished jobs") { try await store.pruneFinishedJobs(before: cutoff, limit: batch).count }
            if total > 0 {
                logger.info("finished jobs pruned", metadata: ["count": "\(total)", "older_than": "\(cutoff)"])
                Counter(label: "tutorline_jobs_pruned_total").increment(by: Int64(total))
            }
        }
        let windowCutoff = now.addingTimeInterval(-Self.questionWindowAge)
        let windows = await inBatches("question windows") { try await store.pruneQuestionWindows(before: windowCutoff, limit: batch) }
        if windows > 0 { logger.debug("question windows pruned", metadata: ["count": "\(windows)"]) }
        return total
    }

    /// Runs `prune` until a batch comes back short; how many went in all.
    private func inBatches(_ what: String, _ prune: () async throws -> Int) async -> Int {
        var total = 0
        while !Task.isCancelled {
            do {
                let gone = try await prune()
                total += gone
                if gone < batch { break }
            } catch {
                logger.warning("pruning \(what) failed", metadata: ["error": "\(error)"])
                break
            }
            // Other writers get their turn between batches (SQLite has one writer at a time).
            try? await Task.sleep(for: .milliseconds(50))
        }
        return total
    }
}
