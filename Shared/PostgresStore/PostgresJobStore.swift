import Foundation
import Jobs
import Logging
import PostgresNIO

/// The ``JobStore`` on Postgres: the system of record and the work queue in one.
///
/// Each operation is one statement committed at once; no transaction is ever held across
/// an LLM call. New jobs send `NOTIFY` on ``notificationChannel`` in their insert's transaction.
public struct PostgresJobStore: JobStore {
    /// Runs one statement on the connection of the transaction in progress: the enqueue's steps
    /// take it as a parameter, so that each reads like a statement of its own.
    typealias RunQuery = @Sendable (PostgresQuery) async throws -> PostgresRowSequence

    /// The channel new jobs are announced on.
    public static let notificationChannel = "tutorline_jobs"
    /// The channel requests to stop a running job are announced on (payload: the job id).
    public static let cancellationChannel = "tutorline_job_cancel"

    let client: PostgresClient
    let logger: Logger

    /// - Parameter client: a client whose `run()` the caller drives (it is a `Service`).
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func enqueue(_ job: NewJob, limits: QuestionLimits) async throws -> EnqueueOutcome {
        do {
            return try await insert(job, limits: limits)
        } catch let replay as Replayed {
            return replay.outcome
        }
    }

    /// A replay found once the user's window row was locked: its job is the answer, and the
    /// transaction rolls back, so the replay does not count against the user's limit.
    private struct Replayed: Error {
        var outcome: EnqueueOutcome
    }

    private func insert(_ job: NewJob, limits: QuestionLimits) async throws -> EnqueueOutcome {
        try await translatingErrors {
            var values = PostgresBindings()
            values.append(job.id)
            values.append(job.kind.rawValue)
            values.append(job.question)
            values.append(job.courseRef)
            values.append(job.courseId)
            values.append(job.lessonId)
            values.append(job.sessionId)
            values.append(job.userId)
            values.append(job.idempotencyKey)
            values.append(job.maxAttempts)
            guard !limits.isNone else {
                // One statement on the usual path: the session is created by its first job and
                // belongs to that job's user from then on; the job goes in, with its NOTIFY, only
                // into a session of its own user, and the two commit together.
                for row in try await client.rows(of: PreparedQuery<EnqueueSQL>(values), logger: logger) {
                    return EnqueueOutcome(job: try Self.decodeJob(row), created: true)
                }
                return try await notInserted(job) { try await client.query($0, logger: logger) }
            }
            // With limits, one transaction per question: the user's window row, locked by its
            // upsert, makes that user's questions take turns across every gateway, and each
            // statement after the lock sees the jobs the turns before it committed.
            return try await client.withTransaction(logger: logger) { connection in
                let query: RunQuery = { try await connection.query($0, logger: logger) }
                // A replay is answered with its job, never refused: looked for once the user's row is
                // locked, so a retry racing its first request finds the job that one committed.
                try await admit(job, within: limits, query: query)
                // Each result read to its end before the next statement (or the rollback) goes out.
                var inserted: [PostgresRow] = []
                for try await row in try await query(PostgresQuery(unsafeSQL: EnqueueSQL.text, binds: values)) { inserted.append(row) }
                if let row = inserted.first { return EnqueueOutcome(job: try Self.decodeJob(row), created: true) }
                return try await notInserted(job, query: query)
            }
        }
    }

    /// Counts a question against its user's limits, or throws ``QuestionLimitExceeded`` (the
    /// caller's transaction then rolls the count back: a refused question does not count).
    private func admit(_ job: NewJob, within limits: QuestionLimits, query: RunQuery) async throws {
        let userId = job.userId
        // The lock wait is bounded (a 503 to retry past it), set in the same round trip. A window
        // never moves back: a question that waited for the lock across a minute's end counts in
        // the newer minute.
        let window = try await query(
            """
            INSERT INTO user_question_windows AS w (user_id, window_start, questions)
            SELECT \(userId), date_trunc('minute', clock_timestamp()), 1 FROM (SELECT set_config('lock_timeout', '4s', true)) AS bounded
            ON CONFLICT (user_id) DO UPDATE SET
                questions = CASE WHEN EXCLUDED.window_start <= w.window_start THEN w.questions + 1 ELSE 1 END,
                window_start = GREATEST(w.window_start, EXCLUDED.window_start)
            RETURNING questions, ceil(extract(epoch FROM window_start + interval '1 minute' - clock_timestamp()))::int8
            """
        )
        var counted: (questions: Int, secondsLeft: Int)?
        for try await row in window.decode((Int, Int).self) { counted = row }
        if let earlier = try await earlier(job, query: query) { throw Replayed(outcome: earlier) }
        if let counted, limits.perMinute > 0, counted.questions > limits.perMinute {
            throw QuestionLimitExceeded(.questionsPerMinute, retryAfter: max(1, counted.secondsLeft))
        }
        guard limits.activeJobs > 0 else { return }
        // The user's active jobs, from a partial index: a handful of entries, not the jobs table.
        let active = try await query("SELECT count(*) FROM jobs WHERE user_id = \(userId) AND status IN ('QUEUED', 'PROCESSING')")
        var count = 0
        for try await value in active.decode(Int.self) { count = value }
        if count >= limits.activeJobs {
            throw QuestionLimitExceeded(.activeJobs, retryAfter: QuestionLimitExceeded.activeJobsRetryAfter)
        }
    }

    /// The job stored earlier under this question's idempotency key, if any.
    private func earlier(_ job: NewJob, query: RunQuery) async throws -> EnqueueOutcome? {
        guard let key = job.idempotencyKey else { return nil }
        let existing = try await query(
            """
            SELECT \(unescaped: Self.columns) FROM jobs
            WHERE user_id = \(job.userId) AND kind = \(job.kind.rawValue) AND idempotency_key = \(key)
            """
        )
        var rows: [PostgresRow] = []
        for try await row in existing { rows.append(row) }
        guard let row = rows.first else { return nil }
        let stored = try Self.decodeJob(row)
        guard stored.question == job.question, stored.courseRef == job.courseRef else {
            throw JobStoreError(.idempotencyConflict, "This Idempotency-Key was already used for a different question.")
        }
        return EnqueueOutcome(job: stored, created: false)
    }

    /// Why the insert returned no row: the session is someone else's, or the idempotency key was used before.
    private func notInserted(_ job: NewJob, query: RunQuery) async throws -> EnqueueOutcome {
        let owners = try await query("SELECT user_id, kind FROM chat_sessions WHERE id = \(job.sessionId)")
        var owner: (String, String)?
        for try await row in owners.decode((String, String).self) { owner = row }
        if let owner, owner.0 != job.userId || owner.1 != job.kind.rawValue {
            throw JobStoreError(.sessionNotOwned, "This conversation belongs to someone else.")
        }
        guard job.idempotencyKey != nil else {
            throw JobStoreError.unavailable("the insert returned no row")
        }
        guard let earlier = try await earlier(job, query: query) else {
            throw JobStoreError.unavailable("the idempotent job vanished")
        }
        return earlier
    }

    public func job(id: UUID) async throws -> Job? {
        try await jobs(ids: [id]).first
    }

    public func jobs(ids: [UUID]) async throws -> [Job] {
        guard !ids.isEmpty else { return [] }
        return try await translatingErrors {
            var values = PostgresBindings()
            values.append(ids)
            var jobs: [Job] = []
            for row in try await client.rows(of: PreparedQuery<JobsByIdSQL>(values), logger: logger) { jobs.append(try Self.decodeJob(row)) }
            return jobs
        }
    }

    public func claim(lease: Duration) async throws -> Job? {
        try await translatingErrors {
            var values = PostgresBindings()
            values.append(UUID())
            values.append(lease.wholeMilliseconds)
            for row in try await client.rows(of: PreparedQuery<ClaimSQL>(values), logger: logger) {
                return try Self.decodeJob(row)
            }
            return nil
        }
    }

    public func extendLease(jobId: UUID, leaseToken: UUID, by lease: Duration) async throws -> Bool {
        var values = PostgresBindings()
        values.append(lease.wholeMilliseconds)
        values.append(jobId)
        values.append(leaseToken)
        return try await updatesOneRow(PreparedQuery<ExtendLeaseSQL>(values))
    }

    public func complete(jobId: UUID, leaseToken: UUID, result: JobResult, usage: TokenUsage?, terminalEventId: Int) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        var values = PostgresBindings()
        values.append(json)
        values.append(terminalEventId)
        values.append(jobId)
        values.append(leaseToken)
        values.append(result.answer)
        values.append(usage?.promptTokens)
        values.append(usage?.completionTokens)
        return try await updatesOneRow(PreparedQuery<CompleteSQL>(values))
    }

    public func fail(jobId: UUID, leaseToken: UUID, code: String, message: String, terminalEventId: Int) async throws -> Bool {
        try await updatesOneRow(
            """
            UPDATE jobs SET status = 'FAILED', error_code = \(code), error_message = \(message),
                   terminal_event_id = \(terminalEventId), lease_token = NULL, locked_until = NULL, updated_at = now()
            WHERE id = \(jobId) AND lease_token = \(leaseToken) AND status = 'PROCESSING'
            RETURNING id
            """
        )
    }

    public func stop(jobId: UUID, leaseToken: UUID, answer: String, terminalEventId: Int) async throws -> Bool {
        var values = PostgresBindings()
        values.append(JobFailure.cancelled.code)
        values.append(JobFailure.cancelled.message)
        values.append(answer)
        values.append(terminalEventId)
        values.append(jobId)
        values.append(leaseToken)
        return try await updatesOneRow(PreparedQuery<StopSQL>(values))
    }

    public func requestCancel(jobId: UUID) async throws -> Job? {
        let found: Job? = try await translatingErrors {
            var values = PostgresBindings()
            values.append(jobId)
            for row in try await client.rows(of: PreparedQuery<RequestCancelSQL>(values), logger: logger) {
                return try Self.decodeJob(row)
            }
            return nil
        }
        // Not asked, yet not ended: the job ended while the update waited for its row (it then
        // found it completed or failed), and the row returned is the statement's snapshot from
        // before. Read it again, so the caller answers "already ended".
        if let found, !found.status.isTerminal, !found.cancelRequested { return try await job(id: jobId) }
        return found
    }

    public func cancelRequested(among ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return try await translatingErrors {
            let rows = try await client.query(
                """
                SELECT asked.id FROM unnest(\(ids)::uuid[]) AS asked (id)
                WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = asked.id AND jobs.cancel_requested_at IS NULL)
                """,
                logger: logger
            )
            var asked: Set<UUID> = []
            for try await id in rows.decode(UUID.self) { asked.insert(id) }
            return asked
        }
    }

    public func requeue(jobId: UUID, leaseToken: UUID, after delay: Duration, reason: String) async throws -> Bool {
        // A job its owner asked to stop does not wait out the backoff: it goes to the head of the
        // queue, where the next claim ends it.
        try await updatesOneRow(
            """
            UPDATE jobs SET status = 'QUEUED', error_message = \(reason), lease_token = NULL, locked_until = NULL,
                   run_after = CASE WHEN cancel_requested_at IS NOT NULL THEN '-infinity'::timestamptz
                                    ELSE now() + \(delay.wholeMilliseconds) * interval '1 millisecond' END,
                   updated_at = now()
            WHERE id = \(jobId) AND lease_token = \(leaseToken) AND status = 'PROCESSING'
            RETURNING id
            """
        )
    }

    public func rescueExpiredLeases() async throws -> Int {
        try await translatingErrors {
            let rows = try await client.query(
                """
                WITH expired AS (
                    SELECT id FROM jobs WHERE status = 'PROCESSING' AND locked_until < now()
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE jobs AS j SET
                    status = CASE WHEN j.attempts >= j.max_attempts THEN 'FAILED' ELSE 'QUEUED' END,
                    error_code = CASE WHEN j.attempts >= j.max_attempts THEN \(JobFailureCode.workerLost.rawValue) ELSE j.error_code END,
                    error_message = CASE WHEN j.attempts >= j.max_attempts
                        THEN \(JobStoreMessages.workerLost) ELSE j.error_message END,
                    lease_token = NULL, locked_until = NULL, run_after = now(), updated_at = now()
                FROM expired WHERE j.id = expired.id
                RETURNING j.id
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }

    public func history(sessionId: UUID, limit: Int) async throws -> [ChatTurn] {
        try await translatingErrors {
            var values = PostgresBindings()
            values.append(sessionId)
            values.append(limit)
            var turns: [ChatTurn] = []
            for row in try await client.rows(of: PreparedQuery<HistorySQL>(values), logger: logger) {
                let (jobId, role, content, stopped) = try row.decode((UUID, String, String, Bool).self)
                turns.append(ChatTurn(jobId: jobId, role: ChatTurn.Role(rawValue: role) ?? .user, content: content, stopped: stopped))
            }
            return turns
        }
    }

    public func sessions(userId: String, kind: AssistantKind, courseId: UUID?, after cursor: SessionCursor?, limit: Int) async throws -> [SessionSummary] {
        try await translatingErrors {
            let rows = try await client.query(
                """
                SELECT s.id, (SELECT question FROM jobs f WHERE f.session_id = s.id ORDER BY f.created_at, f.id LIMIT 1),
                       (extract(epoch FROM min(j.created_at)) * 1000)::int8, (extract(epoch FROM max(j.created_at)) * 1000)::int8 AS last
                FROM chat_sessions s JOIN jobs j ON j.session_id = s.id
                WHERE s.user_id = \(userId) AND s.kind = \(kind.rawValue) AND (\(courseId)::uuid IS NULL OR j.course_id = \(courseId))
                GROUP BY s.id
                HAVING \(cursor == nil) OR ((extract(epoch FROM max(j.created_at)) * 1000)::int8, s.id) < (\(cursor?.lastActivityMilliseconds ?? 0), \(cursor?.id ?? UUID()))
                ORDER BY last DESC, s.id DESC
                LIMIT \(limit)
                """,
                logger: logger
            )
            var sessions: [SessionSummary] = []
            for try await (id, title, first, last) in rows.decode((UUID, String?, Int64, Int64).self) {
                sessions.append(SessionSummary(id: id, title: title ?? "", createdAt: Date(epochMilliseconds: first), lastActivity: Date(epochMilliseconds: last)))
            }
            return sessions
        }
    }

    public func session(id: UUID) async throws -> SessionRecord? {
        try await translatingErrors {
            var owner: (String, String)?
            for try await row in try await client.query("SELECT user_id, kind FROM chat_sessions WHERE id = \(id)", logger: logger).decode((String, String).self) {
                owner = row
            }
            guard let owner else { return nil }
            // The running jobs first, then the messages: a job that ends in between shows in both,
            // and is kept once, as a message; never in neither.
            var running: [Job] = []
            let runningRows = try await client.query(
                "SELECT \(unescaped: Self.columns) FROM jobs WHERE session_id = \(id) AND status IN ('QUEUED', 'PROCESSING') ORDER BY created_at",
                logger: logger
            )
            for try await row in runningRows { running.append(try Self.decodeJob(row)) }
            let messageRows = try await client.query(
                """
                SELECT m.job_id, m.role, m.content, m.stopped, (extract(epoch FROM m.created_at) * 1000)::int8, j.result::text
                FROM chat_messages m LEFT JOIN jobs j ON j.id = m.job_id AND m.role = 'assistant'
                WHERE m.session_id = \(id) ORDER BY m.id
                """,
                logger: logger
            )
            var messages: [SessionMessage] = []
            for try await (jobId, role, content, stopped, created, result) in messageRows.decode((UUID, String, String, Bool, Int64, String?).self) {
                messages.append(SessionMessage.decoded(
                    jobId: jobId, role: role, content: content, stopped: stopped, createdAt: Date(epochMilliseconds: created), resultJSON: result
                ))
            }
            running.removeAll { job in messages.contains { $0.jobId == job.id } }
            return SessionRecord(id: id, userId: owner.0, kind: AssistantKind(rawValue: owner.1) ?? .landing, messages: messages, running: running)
        }
    }

    public func deleteSession(id: UUID) async throws -> [UUID]? {
        try await translatingErrors {
            // One transaction: the messages (by cascade), the jobs, their events in the database,
            // the conversation; running jobs' workers are told to stop. The session row is locked
            // before the deletion runs, as a statement of its own: a question being added to the
            // conversation (which locks the same row) commits before, and the deletion's snapshot
            // sees its job, which would otherwise outlive its conversation. The jobs' rows are
            // locked before the session's, the order a worker recording an answer takes them in
            // (its job, then the session its message refers to): the other order could deadlock.
            try await client.withTransaction(logger: logger) { connection in
                // Bounded, within this transaction only: a lock not had in 4 s is a 503 to retry,
                // and a transaction its caller left (past the store's deadline) ends in 10 s.
                _ = try await connection.query(
                    "SELECT set_config('lock_timeout', '4s', true), set_config('idle_in_transaction_session_timeout', '10s', true)", logger: logger
                )
                _ = try await connection.query("SELECT id FROM jobs WHERE session_id = \(id) ORDER BY id FOR UPDATE", logger: logger)
                _ = try await connection.query("SELECT 1 FROM chat_sessions WHERE id = \(id) FOR UPDATE", logger: logger)
                let rows = try await connection.query(
                    """
                    WITH session AS (
                        DELETE FROM chat_sessions WHERE id = \(id) RETURNING id
                    ), gone AS (
                        DELETE FROM jobs WHERE session_id = \(id) AND EXISTS (SELECT 1 FROM session) RETURNING id, status
                    ), events AS (
                        DELETE FROM job_events WHERE job_id IN (SELECT id FROM gone)
                    ), told AS (
                        SELECT pg_notify('\(unescaped: Self.cancellationChannel)', id::text) FROM gone WHERE status = 'PROCESSING'
                    )
                    SELECT session.id, gone.id FROM session LEFT JOIN gone ON true, (SELECT count(*) FROM told) AS t
                    """,
                    logger: logger
                )
                var found = false
                var jobs: [UUID] = []
                for try await (_, job) in rows.decode((UUID, UUID?).self) {
                    found = true
                    if let job { jobs.append(job) }
                }
                return found ? jobs : nil
            }
        }
    }

    public func pruneFinishedJobs(before cutoff: Date, limit: Int) async throws -> [UUID] {
        try await translatingErrors {
            // Rows another transaction holds (a conversation being deleted) are skipped, not waited for.
            let rows = try await client.query(
                """
                WITH gone AS (
                    DELETE FROM jobs WHERE id IN (
                        SELECT id FROM jobs WHERE status IN ('COMPLETED', 'FAILED') AND updated_at < \(cutoff)
                        ORDER BY updated_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    ) RETURNING id
                ), events AS (
                    DELETE FROM job_events WHERE job_id IN (SELECT id FROM gone)
                )
                SELECT id FROM gone
                """,
                logger: logger
            )
            var ids: [UUID] = []
            for try await id in rows.decode(UUID.self) { ids.append(id) }
            return ids
        }
    }

    public func pruneQuestionWindows(before cutoff: Date, limit: Int) async throws -> Int {
        try await translatingErrors {
            // A window a question holds at this moment is skipped, not waited for.
            let rows = try await client.query(
                """
                WITH gone AS (
                    DELETE FROM user_question_windows WHERE user_id IN (
                        SELECT user_id FROM user_question_windows WHERE window_start < \(cutoff)
                        LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    ) RETURNING 1
                )
                SELECT count(*)::int8 FROM gone
                """,
                logger: logger
            )
            var count = 0
            for try await gone in rows.decode(Int.self) { count = gone }
            return count
        }
    }

    public func queueStatistics() async throws -> QueueStatistics {
        try await translatingErrors {
            var counts: [JobStatus: Int] = [:]
            let rows = try await client.query("SELECT status, count(*)::int8 FROM jobs GROUP BY status", logger: logger)
            for try await (status, count) in rows.decode((String, Int).self) {
                if let status = JobStatus(rawValue: status) { counts[status] = count }
            }
            var age: Duration?
            let oldest = try await client.query(
                """
                SELECT (extract(epoch FROM now() - min(created_at)) * 1000)::int8 FROM jobs
                WHERE status = 'QUEUED' AND run_after <= now()
                """,
                logger: logger
            )
            for try await milliseconds in oldest.decode(Int?.self) { age = milliseconds.map { .milliseconds($0) } }
            return QueueStatistics(counts: counts, oldestQueuedAge: age)
        }
    }

    public func ping() async throws {
        try await translatingErrors {
            _ = try await client.query("SELECT 1", logger: logger)
        }
    }

    // MARK: Helpers

    private func updatesOneRow(_ query: PostgresQuery) async throws -> Bool {
        try await translatingErrors {
            let rows = try await client.query(query, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count == 1
        }
    }

    private func updatesOneRow<SQL>(_ statement: PreparedQuery<SQL>) async throws -> Bool {
        try await translatingErrors {
            try await client.rows(of: statement, logger: logger).count == 1
        }
    }

    static let columns = """
        id, kind, status, question, course_ref, lesson_id, session_id, user_id, attempts, max_attempts,
        lease_token, locked_until, result::text, error_code, error_message, terminal_event_id, created_at, updated_at, course_id,
        cancel_requested_at IS NOT NULL, partial_answer, prompt_tokens, completion_tokens
        """

    static func decodeJob(_ row: PostgresRow) throws -> Job {
        let cells = row.makeRandomAccess()
        let resultJSON = try cells[12].decode(String?.self)
        return Job(
            id: try cells[0].decode(UUID.self),
            kind: AssistantKind(rawValue: try cells[1].decode(String.self)) ?? .landing,
            status: JobStatus(rawValue: try cells[2].decode(String.self)) ?? .failed,
            question: try cells[3].decode(String.self),
            courseRef: try cells[4].decode(String?.self),
            courseId: try cells[18].decode(UUID?.self),
            lessonId: try cells[5].decode(String?.self),
            sessionId: try cells[6].decode(UUID.self),
            userId: try cells[7].decode(String.self),
            attempts: try cells[8].decode(Int.self),
            maxAttempts: try cells[9].decode(Int.self),
            leaseToken: try cells[10].decode(UUID?.self),
            lockedUntil: try cells[11].decode(Date?.self),
            result: try resultJSON.map { try JSONDecoder().decode(JobResult.self, from: Data($0.utf8)) },
            errorCode: try cells[13].decode(String?.self),
            errorMessage: try cells[14].decode(String?.self),
            terminalEventId: try cells[15].decode(Int?.self),
            cancelRequested: try cells[19].decode(Bool.self),
            partialAnswer: try cells[20].decode(String?.self),
            usage: try Self.usage(prompt: cells[21].decode(Int?.self), completion: cells[22].decode(Int?.self)),
            createdAt: try cells[16].decode(Date.self),
            updatedAt: try cells[17].decode(Date.self)
        )
    }

    static func usage(prompt: Int?, completion: Int?) -> TokenUsage? {
        guard let prompt, let completion else { return nil }
        return TokenUsage(promptTokens: prompt, completionTokens: completion)
    }

    /// Runs a store operation within the deadline, turning connection failures into ``JobStoreError/unavailable(_:)``.
    func translatingErrors<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await PostgresOperation.run(operation)
    }
}

