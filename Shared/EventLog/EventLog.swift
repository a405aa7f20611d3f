import Foundation

/// Where a job's events travel from the worker to the stream replicas: append-only, numbered
/// frames per job, exactly as they go on the wire.
///
/// Two implementations, chosen by `EVENT_LOG`: `Spool` (a file per job on a disk that every
/// worker and replica shares, watched with inotify) and `PostgresEventLog` (rows in the
/// database every instance already reaches, announced by NOTIFY). The worker and the pruner use
/// this protocol; stream replicas read through ``EventLogReader``.
public protocol EventLog: Sendable {
    /// Opens a job's log for appending, with what earlier attempts wrote to it.
    ///
    /// - Parameter startsEmpty: the caller knows nothing was written yet (a job's first
    ///   attempt), so the log need not be read first (a statement saved per job in Postgres).
    func writer(for job: UUID, startsEmpty: Bool) async throws(EventLogError) -> any EventLogWriter

    /// Deletes the logs whose job ended (last frame `completed` or `failed`) and that were last
    /// written before `endedBefore`, and logs without an end last written before `unendedBefore`
    /// (a job that may still be retried keeps its log longer). Returns how many jobs' logs went.
    func prune(endedBefore: Date, unendedBefore: Date) async throws(EventLogError) -> Int

    /// The jobs that have a log: for the pruner's sweep of logs whose job was deleted.
    func loggedJobs() async throws(EventLogError) -> [UUID]

    /// Deletes these jobs' logs now (their conversation was deleted).
    func erase(jobs: [UUID]) async throws(EventLogError)
}
