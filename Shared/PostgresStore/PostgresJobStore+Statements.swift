// The statements every job runs, prepared once per connection (see `PreparedQuery`).

/// Creates the session with its first job, and inserts the job, announced in the same statement
/// (so a woken worker finds the row), unless the session belongs to another user or assistant.
/// Returns the job when it went in. $1 id, $2 kind, $3 question, $4 course ref, $5 course id,
/// $6 lesson id, $7 session id, $8 user id, $9 idempotency key, $10 max attempts.
enum EnqueueSQL: PreparedSQL {
    // `DO UPDATE` (a no-op) rather than `DO NOTHING`: when another transaction created the same
    // session a moment earlier, it waits for that one and returns the row as committed, so the
    // owner check sees the other user; with `DO NOTHING` it would see no owner at all and let a
    // second user into the conversation. A request whose idempotency key was used before
    // creates no session (its job is the earlier one).
    static let text = """
        WITH session AS (
            INSERT INTO chat_sessions (id, user_id, kind)
            SELECT $7::uuid, $8::text, $2::text
            WHERE $9::text IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobs WHERE user_id = $8::text AND kind = $2::text AND idempotency_key = $9::text
            )
            ON CONFLICT (id) DO UPDATE SET kind = chat_sessions.kind
            RETURNING user_id, kind
        ), inserted AS (
            INSERT INTO jobs (id, kind, status, question, course_ref, course_id, lesson_id, session_id, user_id, idempotency_key, max_attempts)
            SELECT $1::uuid, $2::text, 'QUEUED', $3::text, $4::text, $5::uuid, $6::text, $7::uuid, $8::text, $9::text, $10::int8
            WHERE EXISTS (SELECT 1 FROM session WHERE session.user_id = $8::text AND session.kind = $2::text)
            ON CONFLICT (user_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING *
        )
        SELECT \(PostgresJobStore.columns), pg_notify('\(PostgresJobStore.notificationChannel)', id::text) FROM inserted
        """
}

/// $1 the ids.
enum JobsByIdSQL: PreparedSQL {
    static let text = "SELECT \(PostgresJobStore.columns) FROM jobs WHERE id = ANY($1::uuid[])"
}

/// Takes the oldest runnable job. $1 the new lease token, $2 the lease in milliseconds.
enum ClaimSQL: PreparedSQL {
    static let text = """
        UPDATE jobs SET status = 'PROCESSING', attempts = attempts + 1, lease_token = $1::uuid,
               locked_until = now() + $2::int8 * interval '1 millisecond', updated_at = now()
        WHERE id = (
            SELECT id FROM jobs WHERE status = 'QUEUED' AND run_after <= now()
            ORDER BY run_after, created_at
            FOR UPDATE SKIP LOCKED LIMIT 1
        )
        RETURNING \(PostgresJobStore.columns)
        """
}

/// $1 the lease in milliseconds, $2 job id, $3 lease token.
enum ExtendLeaseSQL: PreparedSQL {
    static let text = """
        UPDATE jobs SET locked_until = now() + $1::int8 * interval '1 millisecond', updated_at = now()
        WHERE id = $2::uuid AND lease_token = $3::uuid AND status = 'PROCESSING'
        RETURNING id
        """
}

/// One statement: the result and both messages commit together or not at all, and the unique
/// (job_id, role) pair keeps each message single whatever the retries.
/// $1 result JSON, $2 terminal event id, $3 job id, $4 lease token, $5 the answer, $6 and $7 the
/// prompt and completion tokens (null when the model did not say).
enum CompleteSQL: PreparedSQL {
    static let text = """
        WITH done AS (
            UPDATE jobs SET status = 'COMPLETED', result = $1::text::jsonb, terminal_event_id = $2::int8,
                   prompt_tokens = $6::int8, completion_tokens = $7::int8,
                   error_code = NULL, error_message = NULL, lease_token = NULL, locked_until = NULL, updated_at = now()
            WHERE id = $3::uuid AND lease_token = $4::uuid AND status = 'PROCESSING'
            RETURNING id, session_id, question
        ), turn AS (
            INSERT INTO chat_messages (session_id, job_id, role, content)
            SELECT d.session_id, d.id, m.role, m.content
            FROM done d CROSS JOIN LATERAL (VALUES (1, 'user', d.question), (2, 'assistant', $5::text)) AS m (n, role, content)
            ORDER BY m.n
            ON CONFLICT (job_id, role) DO NOTHING
        )
        SELECT id FROM done
        """
}

/// Ends a stopped job with what was streamed, and records both messages, the answer marked as
/// stopped, in the same statement (each once per job). $1 code, $2 message, $3 the partial answer,
/// $4 terminal event id, $5 job id, $6 lease token.
enum StopSQL: PreparedSQL {
    static let text = """
        WITH done AS (
            UPDATE jobs SET status = 'FAILED', error_code = $1::text, error_message = $2::text, partial_answer = $3::text,
                   terminal_event_id = $4::int8, lease_token = NULL, locked_until = NULL, updated_at = now()
            WHERE id = $5::uuid AND lease_token = $6::uuid AND status = 'PROCESSING'
            RETURNING id, session_id, question
        ), turn AS (
            INSERT INTO chat_messages (session_id, job_id, role, content, stopped)
            SELECT d.session_id, d.id, m.role, m.content, m.stopped
            FROM done d CROSS JOIN LATERAL (VALUES (1, 'user', d.question, false), (2, 'assistant', $3::text, true))
                AS m (n, role, content, stopped)
            ORDER BY m.n
            ON CONFLICT (job_id, role) DO NOTHING
        )
        SELECT id FROM done
        """
}

/// Flags a job that has not ended as asked to stop and tells the workers: a queued one goes to the
/// head of the queue ('-infinity' sorts first), where the claiming worker ends it without running
/// it; a running one's worker hears it on the cancellation channel. Returns the job (unchanged when
/// it had ended). $1 job id.
enum RequestCancelSQL: PreparedSQL {
    static let text = """
        WITH asked AS (
            UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, now()),
                   run_after = CASE WHEN status = 'QUEUED' THEN '-infinity'::timestamptz ELSE run_after END, updated_at = now()
            WHERE id = $1::uuid AND status IN ('QUEUED', 'PROCESSING')
            RETURNING *
        ), told AS (
            SELECT pg_notify(
                CASE WHEN status = 'QUEUED' THEN '\(PostgresJobStore.notificationChannel)' ELSE '\(PostgresJobStore.cancellationChannel)' END,
                id::text
            ) FROM asked
        )
        SELECT \(PostgresJobStore.columns) FROM asked WHERE (SELECT count(*) FROM told) >= 0
        UNION ALL
        SELECT \(PostgresJobStore.columns) FROM jobs WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM asked)
        """
}

/// The last messages of a session, oldest first. $1 session id, $2 how many.
enum HistorySQL: PreparedSQL {
    static let text = """
        SELECT job_id, role, content, stopped FROM (
            SELECT id, job_id, role, content, stopped FROM chat_messages WHERE session_id = $1::uuid
            ORDER BY id DESC LIMIT $2::int8
        ) AS recent ORDER BY id
        """
}
