import EventLog
import Foundation
import Logging
import PostgresNIO

/// The event log in Postgres (`EVENT_LOG=postgres`): for deployments whose instances share no
/// disk. Appends are inserted into `job_events` and announced on ``channel`` with NOTIFY, carrying
/// the frames themselves when they fit; one statement carries every append made while the one
/// before it was under way, of any job (``PostgresAppendQueue``).
/// Stream replicas listen (``PostgresEventFeed``) and keep the logs of the jobs they serve in
/// memory (``PostgresEventMirror``).
public struct PostgresEventLog: EventLog {
    /// The NOTIFY channel of appended events.
    public static let channel = "tutorline_events"
    /// Postgres refuses a NOTIFY payload of 8,000 bytes or more.
    static let payloadLimit = 7_999

    let client: PostgresClient
    let logger: Logger
    /// Where this process's writers send their appends: many jobs' in one statement under load.
    let appends: PostgresAppendQueue

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.appends = PostgresAppendQueue(client: client, logger: logger)
    }

    public func writer(for job: UUID, startsEmpty: Bool) async throws(EventLogError) -> any EventLogWriter {
        let existing = startsEmpty ? [] : try await frames(of: [(job, 0)])[job] ?? []
        return PostgresEventWriter(log: self, job: job, existingFrames: existing)
    }

    public func prune(endedBefore: Date, unendedBefore: Date) async throws(EventLogError) -> Int {
        try await run { client, logger in
            let rows = try await client.query(
                """
                WITH gone AS (
                    SELECT job_id FROM job_events GROUP BY job_id
                    HAVING max(written_at) < \(endedBefore) AND (bool_or(is_terminal) OR max(written_at) < \(unendedBefore))
                ), deleted AS (
                    DELETE FROM job_events WHERE job_id IN (SELECT job_id FROM gone) RETURNING job_id
                )
                SELECT count(DISTINCT job_id)::int8 FROM deleted
                """,
                logger: logger
            )
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        }
    }

    public func loggedJobs() async throws(EventLogError) -> [UUID] {
        try await run { client, logger in
            var jobs: [UUID] = []
            for try await job in try await client.query("SELECT DISTINCT job_id FROM job_events", logger: logger).decode(UUID.self) {
                jobs.append(job)
            }
            return jobs
        }
    }

    public func erase(jobs: [UUID]) async throws(EventLogError) {
        guard !jobs.isEmpty else { return }
        try await run { client, logger in
            _ = try await client.query("DELETE FROM job_events WHERE job_id = ANY(\(jobs)::uuid[])", logger: logger)
        }
    }

    /// The frames of each job after its given id, in order: one statement for all of them.
    func frames(of jobs: [(job: UUID, after: Int)]) async throws(EventLogError) -> [UUID: [EventFrame]] {
        guard !jobs.isEmpty else { return [:] }
        let ids = jobs.map(\.job)
        let after = jobs.map { Int32(clamping: $0.after) }
        return try await run { client, logger in
            let rows = try await client.query(
                """
                SELECT e.job_id, e.frame FROM job_events e
                JOIN unnest(\(ids)::uuid[], \(after)::int4[]) AS w(job_id, after_id)
                  ON e.job_id = w.job_id AND e.event_id > w.after_id
                ORDER BY e.job_id, e.event_id
                """,
                logger: logger
            )
            var found: [UUID: [EventFrame]] = [:]
            for try await (job, frame) in rows.decode((UUID, String).self) {
                found[job, default: []].append(EventFrame(complete: ArraySlice(frame.utf8)))
            }
            return found
        }
    }

    /// How long one statement may take, connection included.
    static let deadline: Duration = .seconds(5)

    /// Runs a statement within ``deadline`` without waiting past it for a query stuck on a cut
    /// link (``Deadline``); every failure is `unavailable`.
    private func run<T: Sendable>(
        _ operation: @escaping @Sendable (PostgresClient, Logger) async throws -> T
    ) async throws(EventLogError) -> T {
        let client = client
        let logger = logger
        do {
            return try await Deadline.run(Self.deadline) { try await operation(client, logger) }
        } catch {
            throw EventLogError(.unavailable, reason: "\(error)")
        }
    }
}
