import Foundation
import Logging
import ServiceLifecycle

/// Deletes the logs of jobs that ended longer ago than the retention, in either event log.
///
/// An event log is a delivery buffer, not the record: the store keeps every result, and a stream
/// whose log is gone ends from the store (its `completed` event carries the whole answer). Left
/// alone, the log would grow by one answer forever.
///
/// A log whose last frame is not the job's end may belong to a job waiting for another attempt
/// (workers down for a day): it is kept for `unendedFactor` times the retention.
///
/// Each run also sweeps the logs whose job is gone (its conversation deleted): the gateway that
/// deletes a conversation may share no disk with the spool.
public struct EventLogPruner: Service {
    let log: any EventLog
    let retention: Duration
    let interval: Duration
    /// Of these jobs, the ones the store still holds; `nil`: no sweep.
    let existingJobs: (@Sendable ([UUID]) async throws -> Set<UUID>)?
    let logger: Logger
    /// How many retentions a log without its end is kept.
    public static let unendedFactor = 7.0
    /// How many jobs one store query of the sweep asks about.
    static let sweepBatch = 500

    public init(
        log: any EventLog, retention: Duration, interval: Duration = .seconds(600),
        existingJobs: (@Sendable ([UUID]) async throws -> Set<UUID>)? = nil, logger: Logger
    ) {
        self.log = log
        self.retention = retention
        self.interval = interval
        self.existingJobs = existingJobs
        self.logger = logger
    }

    public func run() async throws {
        // Not at start: a worker that was down for long must claim its released jobs first.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            do {
                let removed = try await prune()
                if removed > 0 { logger.info("event logs pruned", metadata: ["jobs": "\(removed)", "retention": "\(retention)"]) }
                let erased = try await sweep()
                if erased > 0 { logger.info("event logs of deleted jobs erased", metadata: ["jobs": "\(erased)"]) }
            } catch {
                logger.warning("event logs not pruned", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Erases the logs whose job the store no longer holds; returns how many.
    @discardableResult
    public func sweep() async throws -> Int {
        guard let existingJobs else { return 0 }
        let logged = try await log.loggedJobs()
        var erased = 0
        for start in stride(from: 0, to: logged.count, by: Self.sweepBatch) {
            let batch = Array(logged[start..<min(start + Self.sweepBatch, logged.count)])
            let gone = Set(batch).subtracting(try await existingJobs(batch))
            try await log.erase(jobs: Array(gone))
            erased += gone.count
        }
        return erased
    }

    /// Prunes once, as of `now`; returns how many jobs' logs went.
    @discardableResult
    public func prune(now: Date = Date()) async throws(EventLogError) -> Int {
        let seconds = Double(retention.components.seconds)
        return try await log.prune(
            endedBefore: now.addingTimeInterval(-seconds), unendedBefore: now.addingTimeInterval(-seconds * Self.unendedFactor)
        )
    }
}
