import EventLog
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Sends every job's appends of one process to `job_events`. What is submitted while a
/// statement is under way goes in the next one, whichever jobs it belongs to: alone an append
/// goes at once; under load one statement (one commit, one wake-up of each listening replica)
/// carries the appends of many jobs instead of one each.
///
/// A job's writer submits its next batch only after the last one returned, so a job's frames
/// reach the table, and its notifications the replicas, in order.
final class PostgresAppendQueue: Sendable {
    /// One frame as a row of `job_events`.
    typealias Frame = (id: Int, frame: String, isTerminal: Bool)

    /// A job's frames and who waits for them to be committed.
    struct Submission: Sendable {
        var job: UUID
        var frames: [Frame]
        var done: CheckedContinuation<Result<Void, EventLogError>, Never>
    }

    private struct State {
        var pending: [Submission] = []
        /// Whether a statement is under way (then it takes `pending` next).
        var sending = false
        /// Statements sent so far, each job's resend alone included.
        var statements = 0
    }

    /// At most this many jobs' appends in one statement: bounds the statement's size, and what one
    /// statement past its deadline fails (its jobs' attempts fail and are retried; the statement
    /// may still commit later, as a single job's could: a retry's rows written before it then
    /// meet the key on `(job_id, event_id)`, that attempt fails too, and the next numbers on from
    /// what is there).
    static let batchLimit = 256

    private let client: PostgresClient
    private let logger: Logger
    private let state = Mutex(State())

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Submissions waiting for the statement under way to end.
    var waiting: Int { state.withLock { $0.pending.count } }
    /// Statements sent so far.
    var statements: Int { state.withLock { $0.statements } }

    /// Returns once `frames` are committed and announced, or with why they are not.
    func submit(job: UUID, frames: [Frame]) async -> Result<Void, EventLogError> {
        await withCheckedContinuation { continuation in
            let start = state.withLock { state in
                state.pending.append(Submission(job: job, frames: frames, done: continuation))
                guard !state.sending else { return false }
                state.sending = true
                return true
            }
            if start { Task { await self.sendAll() } }
        }
    }

    /// Sends what is pending, a statement at a time, until nothing is.
    private func sendAll() async {
        while true {
            let batch = state.withLock { state -> [Submission] in
                let batch = Array(state.pending.prefix(Self.batchLimit))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.sending = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            await send(batch)
        }
    }

    private func send(_ batch: [Submission]) async {
        switch await insert(batch) {
        case .success:
            for submission in batch { submission.done.resume(returning: .success(())) }
        case .failure(let refusal) where batch.count > 1 && refusal.isConstraintViolation:
            // The server refused a row (a duplicate id: an attempt that lost its lease still
            // writing): only that job's appends may fail, so each job is sent again alone. Any
            // other refusal (a read-only server, a timeout) would refuse each alone too.
            for submission in batch {
                submission.done.resume(returning: await insert([submission]).mapError(\.error))
            }
        case .failure(let refusal):
            for submission in batch { submission.done.resume(returning: .failure(refusal.error)) }
        }
    }

    /// Why a statement failed, and whether a row broke a constraint (SQLSTATE class 23), the one
    /// failure that belongs to some of its jobs and not to the others.
    struct Refusal: Error {
        var error: EventLogError
        var isConstraintViolation: Bool
    }

    /// Inserts the frames and announces each job's in one notification, all in one statement.
    private func insert(_ batch: [Submission]) async -> Result<Void, Refusal> {
        var jobs: [UUID] = []
        var ids: [Int32] = []
        var texts: [String] = []
        var terminal: [Bool] = []
        var payloads: [String] = []
        for submission in batch {
            guard let first = submission.frames.first, let last = submission.frames.last else { continue }
            for frame in submission.frames {
                jobs.append(submission.job)
                ids.append(Int32(clamping: frame.id))
                texts.append(frame.frame)
                terminal.append(frame.isTerminal)
            }
            payloads.append(
                PostgresEventNotification(job: submission.job, firstId: first.id, lastId: last.id, frames: submission.frames.map(\.frame).joined())
                    .payload(limit: PostgresEventLog.payloadLimit)
            )
        }
        guard !payloads.isEmpty else { return .success(()) }
        state.withLock { $0.statements += 1 }
        let client = client
        let logger = logger
        // The data-modifying CTE runs whole before the notifications are taken; all take effect
        // at commit, together. A job has one notification per statement, so their order among
        // jobs does not matter.
        let query: PostgresQuery = """
            WITH appended AS (
                INSERT INTO job_events (job_id, event_id, frame, is_terminal)
                SELECT e.job_id, e.event_id, e.frame, e.is_terminal
                FROM unnest(\(jobs)::uuid[], \(ids)::int4[], \(texts)::text[], \(terminal)::bool[]) AS e(job_id, event_id, frame, is_terminal)
                RETURNING 1
            )
            SELECT pg_notify(\(PostgresEventLog.channel), n.payload)
            FROM (SELECT count(*) FROM appended) AS done, unnest(\(payloads)::text[]) AS n(payload)
            """
        do {
            try await Deadline.run(PostgresEventLog.deadline) {
                let rows = try await client.query(query, logger: logger)
                // postgres-nio returns once the statement is accepted: its failure (a duplicate
                // id, a read-only server) comes with the rows.
                for try await _ in rows {}
            }
            return .success(())
        } catch {
            let state = (error as? PSQLError)?.serverInfo?[.sqlState]
            return .failure(Refusal(error: EventLogError(.unavailable, reason: "\(error)"), isConstraintViolation: state?.hasPrefix("23") == true))
        }
    }
}
