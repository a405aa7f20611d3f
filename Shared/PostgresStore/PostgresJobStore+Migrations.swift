import Logging
import PostgresNIO

extension PostgresJobStore {
    /// One schema version: statements applied together in one transaction.
    struct Migration: Sendable {
        var version: Int
        var statements: [String]
    }

    /// The schema, oldest first. Append new versions; never edit an applied one.
    static let migrations: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE jobs (
                id UUID PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('assistant', 'landing')),
                status TEXT NOT NULL CHECK (status IN ('QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED')),
                question TEXT NOT NULL,
                course_ref TEXT,
                lesson_id TEXT,
                session_id UUID NOT NULL,
                user_id TEXT NOT NULL,
                idempotency_key TEXT,
                attempts INT NOT NULL DEFAULT 0,
                max_attempts INT NOT NULL DEFAULT 3,
                lease_token UUID,
                locked_until TIMESTAMPTZ,
                run_after TIMESTAMPTZ NOT NULL DEFAULT now(),
                result JSONB,
                error_code TEXT,
                error_message TEXT,
                terminal_event_id INT,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (user_id, kind, idempotency_key)
            WHERE idempotency_key IS NOT NULL
            """,
            "CREATE INDEX jobs_runnable ON jobs (run_after, created_at) WHERE status = 'QUEUED'",
            "CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'PROCESSING'",
        ]),
        Migration(version: 2, statements: [
            "ALTER TABLE jobs ADD COLUMN course_id UUID",
            "CREATE TABLE courses (id UUID PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL)",
            """
            CREATE TABLE course_aliases (
                alias TEXT PRIMARY KEY,
                course_id UUID NOT NULL REFERENCES courses (id) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE lessons (
                id TEXT PRIMARY KEY,
                scope TEXT NOT NULL,
                title TEXT NOT NULL,
                position INT NOT NULL,
                content_hash TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE chunks (
                id TEXT PRIMARY KEY,
                lesson_id TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
                scope TEXT NOT NULL,
                position INT NOT NULL,
                heading TEXT NOT NULL,
                body TEXT NOT NULL,
                search TSVECTOR GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', heading), 'A') || setweight(to_tsvector('english', body), 'B')
                ) STORED
            )
            """,
            "CREATE INDEX chunks_search ON chunks USING GIN (search)",
            "CREATE INDEX chunks_scope ON chunks (scope)",
            """
            CREATE TABLE chat_sessions (
                id UUID PRIMARY KEY,
                user_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE chat_messages (
                id BIGSERIAL PRIMARY KEY,
                session_id UUID NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
                job_id UUID NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                content TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (job_id, role)
            )
            """,
            "CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id)",
        ]),
        Migration(version: 3, statements: [
            // Events of answers when EVENT_LOG=postgres: one row per frame, exactly as it goes on
            // the wire. No foreign key: a row is written per paced append and must stay cheap.
            """
            CREATE TABLE job_events (
                job_id UUID NOT NULL,
                event_id INT NOT NULL,
                frame TEXT NOT NULL,
                is_terminal BOOLEAN NOT NULL DEFAULT false,
                written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                PRIMARY KEY (job_id, event_id)
            )
            """,
        ]),
        Migration(version: 4, statements: [
            // Stopping an answer: the request, what was streamed before it, and the stopped message.
            "ALTER TABLE jobs ADD COLUMN cancel_requested_at TIMESTAMPTZ",
            "ALTER TABLE jobs ADD COLUMN partial_answer TEXT",
            "ALTER TABLE chat_messages ADD COLUMN stopped BOOLEAN NOT NULL DEFAULT false",
            // What an answer cost at the model.
            "ALTER TABLE jobs ADD COLUMN prompt_tokens INT",
            "ALTER TABLE jobs ADD COLUMN completion_tokens INT",
            // Reading conversations back: a user's list, a conversation's jobs.
            "CREATE INDEX chat_sessions_by_owner ON chat_sessions (user_id, kind)",
            "CREATE INDEX jobs_by_session ON jobs (session_id, created_at)",
        ]),
        Migration(version: 5, statements: [
            // Retention: finished jobs by age.
            "CREATE INDEX jobs_finished ON jobs (updated_at) WHERE status IN ('COMPLETED', 'FAILED')",
        ]),
        Migration(version: 6, statements: [
            // Per-user limits: each user's questions in the current minute (the row also makes one
            // user's questions take turns), and the user's active jobs counted from an index.
            """
            CREATE TABLE user_question_windows (
                user_id TEXT PRIMARY KEY,
                window_start TIMESTAMPTZ NOT NULL,
                questions INT NOT NULL
            )
            """,
            "CREATE INDEX jobs_active_by_user ON jobs (user_id) WHERE status IN ('QUEUED', 'PROCESSING')",
        ]),
        Migration(version: 7, statements: [
            // Hybrid search: chunks learn their text's hash, which keys its vector. The lessons'
            // hashes are cleared so that the next ingest rewrites every chunk with one. The vectors'
            // table needs pgvector, which may be missing: `ensureVectorSchema` makes it.
            "ALTER TABLE chunks ADD COLUMN content_hash TEXT NOT NULL DEFAULT ''",
            "UPDATE lessons SET content_hash = ''",
            "CREATE INDEX chunks_by_content ON chunks (scope, content_hash)",
        ]),
    ]

    /// An arbitrary constant naming the advisory lock that serializes migrations.
    static let migrationLockKey = 7_412_020_611

    /// Applies the migrations not applied yet. Safe when several processes start at once:
    /// they take turns under a session advisory lock, and each applies only what is missing.
    public func migrate() async throws {
        try await PostgresOperation.run(deadline: nil) {
            try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLockKey))", logger: logger)
                do {
                    try await applyMissingMigrations(on: connection)
                    try await ensureVectorSchema(on: connection)
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLockKey))", logger: logger)
                    throw error
                }
                try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLockKey))", logger: logger)
            }
        }
    }

    private func applyMissingMigrations(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INT PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            logger: logger
        )
        var applied: Set<Int> = []
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            applied.insert(version)
        }
        for migration in Self.migrations where !applied.contains(migration.version) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
            }
            logger.info("applied schema migration", metadata: ["version": "\(migration.version)"])
        }
    }
}
