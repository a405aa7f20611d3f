import Foundation
import GRDB
import Jobs

/// The ``JobStore`` on SQLite, for the embedded default. Claims run in IMMEDIATE transactions, so
/// they stay exclusive across the processes sharing the file.
public struct SQLiteJobStore: JobStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func enqueue(_ job: NewJob, limits: QuestionLimits) async throws -> EnqueueOutcome {
        try await database.write { db in
            let now = Date().epochMilliseconds
            let owner = try Row.fetchOne(db, sql: "SELECT user_id, kind FROM chat_sessions WHERE id = ?", arguments: [Self.text(job.sessionId)])
            if let owner {
                guard owner["user_id"] as String == job.userId, owner["kind"] as String == job.kind.rawValue else {
                    throw JobStoreError(.sessionNotOwned, "This conversation belongs to someone else.")
                }
            }
            // A replay: its job is the earlier one, and it creates no session.
            if let key = job.idempotencyKey,
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(Self.columns) FROM jobs WHERE user_id = ? AND kind = ? AND idempotency_key = ?",
                    arguments: [job.userId, job.kind.rawValue, key]
                )
            {
                let stored = try Self.decodeJob(row)
                guard stored.question == job.question, stored.courseRef == job.courseRef else {
                    throw JobStoreError(.idempotencyConflict, "This Idempotency-Key was already used for a different question.")
                }
                return EnqueueOutcome(job: stored, created: false)
            }
            // Writes take turns in SQLite: the count is exact, and a refusal rolls it back.
            if !limits.isNone { try Self.admit(db, userId: job.userId, within: limits, now: now) }
            if owner == nil {
                try db.execute(
                    sql: "INSERT INTO chat_sessions (id, user_id, kind, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [Self.text(job.sessionId), job.userId, job.kind.rawValue, now]
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, kind, status, question, course_ref, course_id, lesson_id, session_id, user_id,
                                      idempotency_key, max_attempts, run_after, created_at, updated_at)
                    VALUES (?, ?, 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Self.text(job.id), job.kind.rawValue, job.question, job.courseRef, job.courseId.map(Self.text), job.lessonId,
                    Self.text(job.sessionId), job.userId, job.idempotencyKey, job.maxAttempts, now, now, now,
                ]
            )
            return EnqueueOutcome(job: try Self.fetchJob(db, id: job.id), created: true)
        }
    }

    /// Counts a question against its user's limits, or throws ``QuestionLimitExceeded``.
    static func admit(_ db: Database, userId: String, within limits: QuestionLimits, now: Int64) throws {
        let minute: Int64 = 60_000
        let windowStart = now - now % minute
        let questions = try Int.fetchOne(
            db,
            sql: """
                INSERT INTO user_question_windows AS w (user_id, window_start, questions) VALUES (?, ?, 1)
                ON CONFLICT (user_id) DO UPDATE SET
                    questions = CASE WHEN w.window_start = excluded.window_start THEN w.questions + 1 ELSE 1 END,
                    window_start = excluded.window_start
                RETURNING questions
                """,
            arguments: [userId, windowStart]
        ) ?? 1
        if limits.perMinute > 0, questions > limits.perMinute {
            let left = windowStart + minute - now
            throw QuestionLimitExceeded(.questionsPerMinute, retryAfter: max(1, Int((left + 999) / 1000)))
        }
        guard limits.activeJobs > 0 else { return }
        let active = try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE user_id = ? AND status IN ('QUEUED', 'PROCESSING')", arguments: [userId]) ?? 0
        if active >= limits.activeJobs {
            throw QuestionLimitExceeded(.activeJobs, retryAfter: QuestionLimitExceeded.activeJobsRetryAfter)
        }
    }

    public func job(id: UUID) async throws -> Job? {
        try await database.read { db in try Self.fetchJobIfAny(db, id: id) }
    }

    public func jobs(ids: [UUID]) async throws -> [Job] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM jobs WHERE id IN (\(placeholders))", arguments: StatementArguments(ids.map(Self.text)))
                .map(Self.decodeJob)
        }
    }

    public func claim(lease: Duration) async throws -> Job? {
        let now = Date().epochMilliseconds
        // A read first: an idle worker's poll takes no write lock.
        let runnable = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'QUEUED' AND run_after <= ?)", arguments: [now]) ?? false
        }
        guard runnable else { return nil }
        return try await database.write { db in
            let now = Date().epochMilliseconds
            guard let id = try String.fetchOne(
                db, sql: "SELECT id FROM jobs WHERE status = 'QUEUED' AND run_after <= ? ORDER BY run_after, created_at LIMIT 1", arguments: [now]
            ) else { return nil }
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, lease_token = ?, locked_until = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [Self.text(UUID()), now + lease.wholeMilliseconds, now, id]
            )
            return try Self.decodeJob(try Self.requireRow(db, sql: "SELECT \(Self.columns) FROM jobs WHERE id = ?", id))
        }
    }

    public func extendLease(jobId: UUID, leaseToken: UUID, by lease: Duration) async throws -> Bool {
        try await changesOneRow(
            "UPDATE jobs SET locked_until = ?, updated_at = ? WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'",
            { now in [now + lease.wholeMilliseconds, now, Self.text(jobId), Self.text(leaseToken)] }
        )
    }

    public func complete(jobId: UUID, leaseToken: UUID, result: JobResult, usage: TokenUsage?, terminalEventId: Int) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        return try await database.write { db in
            let now = Date().epochMilliseconds
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'COMPLETED', result = ?, terminal_event_id = ?, error_code = NULL, error_message = NULL,
                           prompt_tokens = ?, completion_tokens = ?, lease_token = NULL, locked_until = NULL, updated_at = ?
                    WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'
                    """,
                arguments: [json, terminalEventId, usage?.promptTokens, usage?.completionTokens, now, Self.text(jobId), Self.text(leaseToken)]
            )
            guard db.changesCount == 1 else { return false }
            try Self.recordTurn(db, jobId: jobId, answer: result.answer, stopped: false, at: now)
            return true
        }
    }

    /// The job's question and answer as two messages of its conversation, in the caller's
    /// transaction; the unique (job_id, role) pair keeps each single whatever the retries.
    static func recordTurn(_ db: Database, jobId: UUID, answer: String, stopped: Bool, at now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO chat_messages (session_id, job_id, role, content, created_at)
                SELECT session_id, id, 'user', question, ? FROM jobs WHERE id = ?
                ON CONFLICT (job_id, role) DO NOTHING
                """,
            arguments: [now, text(jobId)]
        )
        try db.execute(
            sql: """
                INSERT INTO chat_messages (session_id, job_id, role, content, stopped, created_at)
                SELECT session_id, id, 'assistant', ?, ?, ? FROM jobs WHERE id = ?
                ON CONFLICT (job_id, role) DO NOTHING
                """,
            arguments: [answer, stopped, now, text(jobId)]
        )
    }

    public func fail(jobId: UUID, leaseToken: UUID, code: String, message: String, terminalEventId: Int) async throws -> Bool {
        try await changesOneRow(
            """
            UPDATE jobs SET status = 'FAILED', error_code = ?, error_message = ?, terminal_event_id = ?,
                   lease_token = NULL, locked_until = NULL, updated_at = ?
            WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'
            """,
            { now in [code, message, terminalEventId, now, Self.text(jobId), Self.text(leaseToken)] }
        )
    }

    public func stop(jobId: UUID, leaseToken: UUID, answer: String, terminalEventId: Int) async throws -> Bool {
        try await database.write { db in
            let now = Date().epochMilliseconds
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'FAILED', error_code = ?, error_message = ?, partial_answer = ?, terminal_event_id = ?,
                           lease_token = NULL, locked_until = NULL, updated_at = ?
                    WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'
                    """,
                arguments: [
                    JobFailure.cancelled.code, JobFailure.cancelled.message, answer, terminalEventId, now, Self.text(jobId), Self.text(leaseToken),
                ]
            )
            guard db.changesCount == 1 else { return false }
            try Self.recordTurn(db, jobId: jobId, answer: answer, stopped: true, at: now)
            return true
        }
    }

    public func requestCancel(jobId: UUID) async throws -> Job? {
        try await database.write { db in
            // A queued job goes to the head of the queue (run_after 0): its worker ends it without
            // running it. The commit writes the WAL, which is what wakes the workers.
            try db.execute(
                sql: """
                    UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, ?),
                           run_after = CASE WHEN status = 'QUEUED' THEN 0 ELSE run_after END, updated_at = ?
                    WHERE id = ? AND status IN ('QUEUED', 'PROCESSING')
                    """,
                arguments: [Date().epochMilliseconds, Date().epochMilliseconds, Self.text(jobId)]
            )
            return try Self.fetchJobIfAny(db, id: jobId)
        }
    }

    public func cancelRequested(among ids: [UUID]) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            // Asked to stop, or gone: all but those that exist and were not asked.
            let going = try String.fetchAll(
                db, sql: "SELECT id FROM jobs WHERE id IN (\(placeholders)) AND cancel_requested_at IS NULL",
                arguments: StatementArguments(ids.map(Self.text))
            )
            return Set(ids).subtracting(going.compactMap(UUID.init(uuidString:)))
        }
    }

    public func requeue(jobId: UUID, leaseToken: UUID, after delay: Duration, reason: String) async throws -> Bool {
        // A job its owner asked to stop does not wait out the backoff (see the Postgres store).
        try await changesOneRow(
            """
            UPDATE jobs SET status = 'QUEUED', error_message = ?, lease_token = NULL, locked_until = NULL,
                run_after = CASE WHEN cancel_requested_at IS NOT NULL THEN 0 ELSE ? END, updated_at = ?
            WHERE id = ? AND lease_token = ? AND status = 'PROCESSING'
            """,
            { now in [reason, now + delay.wholeMilliseconds, now, Self.text(jobId), Self.text(leaseToken)] }
        )
    }

    public func rescueExpiredLeases() async throws -> Int {
        let now = Date().epochMilliseconds
        let expired = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'PROCESSING' AND locked_until < ?)", arguments: [now]) ?? false
        }
        guard expired else { return 0 }
        return try await database.write { db in
            let now = Date().epochMilliseconds
            try db.execute(
                sql: """
                    UPDATE jobs SET
                        status = CASE WHEN attempts >= max_attempts THEN 'FAILED' ELSE 'QUEUED' END,
                        error_code = CASE WHEN attempts >= max_attempts THEN '\(JobFailureCode.workerLost.rawValue)' ELSE error_code END,
                        error_message = CASE WHEN attempts >= max_attempts THEN ? ELSE error_message END,
                        lease_token = NULL, locked_until = NULL, run_after = ?, updated_at = ?
                    WHERE status = 'PROCESSING' AND locked_until < ?
                    """,
                arguments: [JobStoreMessages.workerLost, now, now, now]
            )
            return db.changesCount
        }
    }

    public func history(sessionId: UUID, limit: Int) async throws -> [ChatTurn] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT job_id, role, content, stopped FROM (
                        SELECT id, job_id, role, content, stopped FROM chat_messages WHERE session_id = ? ORDER BY id DESC LIMIT ?
                    ) ORDER BY id
                    """,
                arguments: [Self.text(sessionId), limit]
            ).map { row in
                ChatTurn(
                    jobId: UUID(uuidString: row["job_id"]) ?? UUID(),
                    role: ChatTurn.Role(rawValue: row["role"]) ?? .user,
                    content: row["content"],
                    stopped: row["stopped"]
                )
            }
        }
    }

    public func sessions(userId: String, kind: AssistantKind, courseId: UUID?, after cursor: SessionCursor?, limit: Int) async throws -> [SessionSummary] {
        try await database.read { db in
            var arguments: StatementArguments = [userId, kind.rawValue, courseId.map(Self.text), courseId.map(Self.text)]
            var having = ""
            if let cursor {
                having = "HAVING max(j.created_at) < ? OR (max(j.created_at) = ? AND s.id < ?)"
                arguments += [cursor.lastActivityMilliseconds, cursor.lastActivityMilliseconds, Self.text(cursor.id)]
            }
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT s.id, (SELECT question FROM jobs f WHERE f.session_id = s.id ORDER BY f.created_at, f.id LIMIT 1) AS title,
                           min(j.created_at) AS first, max(j.created_at) AS last
                    FROM chat_sessions s JOIN jobs j ON j.session_id = s.id
                    WHERE s.user_id = ? AND s.kind = ? AND (? IS NULL OR j.course_id = ?)
                    GROUP BY s.id \(having)
                    ORDER BY last DESC, s.id DESC
                    LIMIT ?
                    """,
                arguments: arguments
            ).compactMap { row in
                guard let id = UUID(uuidString: row["id"]) else { return nil }
                return SessionSummary(
                    id: id, title: row["title"] ?? "", createdAt: Date(epochMilliseconds: row["first"]), lastActivity: Date(epochMilliseconds: row["last"])
                )
            }
        }
    }

    public func session(id: UUID) async throws -> SessionRecord? {
        try await database.read { db in
            guard let owner = try Row.fetchOne(db, sql: "SELECT user_id, kind FROM chat_sessions WHERE id = ?", arguments: [Self.text(id)]) else {
                return nil
            }
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.job_id, m.role, m.content, m.stopped, m.created_at, j.result
                    FROM chat_messages m LEFT JOIN jobs j ON j.id = m.job_id AND m.role = 'assistant'
                    WHERE m.session_id = ? ORDER BY m.id
                    """,
                arguments: [Self.text(id)]
            ).map { row in
                SessionMessage.decoded(
                    jobId: UUID(uuidString: row["job_id"]) ?? UUID(), role: row["role"], content: row["content"], stopped: row["stopped"],
                    createdAt: Date(epochMilliseconds: row["created_at"]), resultJSON: row["result"]
                )
            }
            // One read transaction: a job is either running or among the messages.
            let running = try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM jobs WHERE session_id = ? AND status IN ('QUEUED', 'PROCESSING') ORDER BY created_at",
                arguments: [Self.text(id)]
            ).map(Self.decodeJob)
            return SessionRecord(id: id, userId: owner["user_id"], kind: AssistantKind(rawValue: owner["kind"]) ?? .landing, messages: messages, running: running)
        }
    }

    public func deleteSession(id: UUID) async throws -> [UUID]? {
        try await database.write { db in
            // One transaction; the commit writes the WAL, which wakes the workers of running jobs,
            // whose stop check then finds them gone.
            guard try Row.fetchOne(db, sql: "SELECT id FROM chat_sessions WHERE id = ?", arguments: [Self.text(id)]) != nil else { return nil }
            let jobs = try String.fetchAll(db, sql: "SELECT id FROM jobs WHERE session_id = ?", arguments: [Self.text(id)])
            try db.execute(sql: "DELETE FROM chat_messages WHERE session_id = ?", arguments: [Self.text(id)])
            try db.execute(sql: "DELETE FROM jobs WHERE session_id = ?", arguments: [Self.text(id)])
            try db.execute(sql: "DELETE FROM chat_sessions WHERE id = ?", arguments: [Self.text(id)])
            return jobs.compactMap(UUID.init(uuidString:))
        }
    }

    public func pruneFinishedJobs(before cutoff: Date, limit: Int) async throws -> [UUID] {
        try await database.write { db in
            let ids = try String.fetchAll(
                db,
                sql: "SELECT id FROM jobs WHERE status IN ('COMPLETED', 'FAILED') AND updated_at < ? ORDER BY updated_at LIMIT ?",
                arguments: [cutoff.epochMilliseconds, limit]
            )
            guard !ids.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            try db.execute(sql: "DELETE FROM jobs WHERE id IN (\(placeholders))", arguments: StatementArguments(ids))
            return ids.compactMap(UUID.init(uuidString:))
        }
    }

    public func pruneQuestionWindows(before cutoff: Date, limit: Int) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM user_question_windows WHERE user_id IN (SELECT user_id FROM user_question_windows WHERE window_start < ? LIMIT ?)",
                arguments: [cutoff.epochMilliseconds, limit]
            )
            return db.changesCount
        }
    }

    public func queueStatistics() async throws -> QueueStatistics {
        let now = Date().epochMilliseconds
        return try await database.read { db in
            var counts: [JobStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM jobs GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(created_at) FROM jobs WHERE status = 'QUEUED' AND run_after <= ?", arguments: [now])
            return QueueStatistics(counts: counts, oldestQueuedAge: oldest.map { .milliseconds(now - $0) })
        }
    }

    public func ping() async throws {
        _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: Helpers

    private func changesOneRow(_ sql: String, _ arguments: @escaping @Sendable (Int64) -> StatementArguments) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: sql, arguments: arguments(Date().epochMilliseconds))
            return db.changesCount == 1
        }
    }

    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    static let columns = """
        id, kind, status, question, course_ref, course_id, lesson_id, session_id, user_id, attempts, max_attempts,
        lease_token, locked_until, result, error_code, error_message, terminal_event_id, created_at, updated_at,
        cancel_requested_at IS NOT NULL AS cancel_requested, partial_answer, prompt_tokens, completion_tokens
        """

    static func requireRow(_ db: Database, sql: String, _ id: String) throws -> Row {
        guard let row = try Row.fetchOne(db, sql: sql, arguments: [id]) else { throw DatabaseError(message: "row \(id) vanished") }
        return row
    }

    static func fetchJob(_ db: Database, id: UUID) throws -> Job {
        try decodeJob(try requireRow(db, sql: "SELECT \(columns) FROM jobs WHERE id = ?", text(id)))
    }

    static func fetchJobIfAny(_ db: Database, id: UUID) throws -> Job? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM jobs WHERE id = ?", arguments: [text(id)]).map(decodeJob)
    }

    static func decodeJob(_ row: Row) throws -> Job {
        func uuid(_ column: String) -> UUID? { (row[column] as String?).flatMap(UUID.init(uuidString:)) }
        func date(_ column: String) -> Date? { (row[column] as Int64?).map(Date.init(epochMilliseconds:)) }
        guard let id = uuid("id"), let sessionId = uuid("session_id") else {
            throw DatabaseError(message: "a job row without an id")
        }
        return Job(
            id: id,
            kind: AssistantKind(rawValue: row["kind"]) ?? .landing,
            status: JobStatus(rawValue: row["status"]) ?? .failed,
            question: row["question"],
            courseRef: row["course_ref"],
            courseId: uuid("course_id"),
            lessonId: row["lesson_id"],
            sessionId: sessionId,
            userId: row["user_id"],
            attempts: row["attempts"],
            maxAttempts: row["max_attempts"],
            leaseToken: uuid("lease_token"),
            lockedUntil: date("locked_until"),
            result: try (row["result"] as String?).map { try JSONDecoder().decode(JobResult.self, from: Data($0.utf8)) },
            errorCode: row["error_code"],
            errorMessage: row["error_message"],
            terminalEventId: row["terminal_event_id"],
            cancelRequested: row["cancel_requested"],
            partialAnswer: row["partial_answer"],
            usage: (row["prompt_tokens"] as Int?).flatMap { prompt in
                (row["completion_tokens"] as Int?).map { TokenUsage(promptTokens: prompt, completionTokens: $0) }
            },
            createdAt: date("created_at") ?? Date(),
            updatedAt: date("updated_at") ?? Date()
        )
    }
}
