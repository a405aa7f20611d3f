import Foundation
import GRDB
import Jobs

/// The embedded store's database: one SQLite file in WAL mode, shared by the gateway, the worker
/// and the stream processes (SQLite's file locks keep writers apart across processes).
public struct SQLiteDatabase: Sendable {
    let pool: DatabasePool

    /// Opens (creating when missing) the database file and its folder.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var configuration = Configuration()
        // Another process may hold the write lock for a moment; wait rather than fail.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// Runs `updates` in an IMMEDIATE transaction: the write lock is taken at the start, so two
    /// processes never both read "free" and then both write (the claim's exclusivity rests on it).
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Self.translatingErrors {
            try await pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try updates(db)
                    return .commit
                }
                guard let result else { throw DatabaseError(message: "transaction produced no result") }
                return result
            }
        }
    }

    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Self.translatingErrors { try await pool.read(value) }
    }

    /// A database that is locked too long, full, or failing to read or write is unavailable for now
    /// (503 with Retry-After), not a bug; other errors pass through.
    static func translatingErrors<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as DatabaseError
            where [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN].contains(error.resultCode)
        {
            throw JobStoreError.unavailable("SQLite: \(error.resultCode)")
        }
    }

    /// Applies the schema; run by one process at a time (`tutorline-gateway migrate`, gateway start, ingest).
    public func migrate() async throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-jobs") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('assistant', 'landing')),
                    status TEXT NOT NULL CHECK (status IN ('QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED')),
                    question TEXT NOT NULL,
                    course_ref TEXT,
                    course_id TEXT,
                    lesson_id TEXT,
                    session_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    idempotency_key TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL DEFAULT 3,
                    lease_token TEXT,
                    locked_until INTEGER,
                    run_after INTEGER NOT NULL,
                    result TEXT,
                    error_code TEXT,
                    error_message TEXT,
                    terminal_event_id INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (user_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
                CREATE INDEX jobs_runnable ON jobs (status, run_after, created_at);
                CREATE INDEX jobs_leased ON jobs (status, locked_until);
                CREATE TABLE chat_sessions (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE chat_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
                    job_id TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                    content TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (job_id, role)
                );
                CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id);
                """)
        }
        migrator.registerMigration("v1-knowledge") { db in
            try db.execute(sql: """
                CREATE TABLE courses (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL);
                CREATE TABLE course_aliases (alias TEXT PRIMARY KEY, course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE);
                CREATE TABLE lessons (
                    id TEXT PRIMARY KEY,
                    scope TEXT NOT NULL,
                    title TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    content_hash TEXT NOT NULL
                );
                CREATE TABLE chunks (
                    id TEXT PRIMARY KEY,
                    lesson_id TEXT NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
                    scope TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    heading TEXT NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE INDEX chunks_by_lesson ON chunks (lesson_id);
                CREATE VIRTUAL TABLE chunks_search USING fts5(
                    heading, body, chunk_id UNINDEXED, scope UNINDEXED, tokenize = 'porter unicode61'
                );
                """)
        }
        // Stopping an answer (the request, what was streamed before it, the stopped message), and
        // reading conversations back (a user's list, a conversation's jobs).
        migrator.registerMigration("v2-conversations") { db in
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN cancel_requested_at INTEGER;
                ALTER TABLE jobs ADD COLUMN partial_answer TEXT;
                ALTER TABLE chat_messages ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE jobs ADD COLUMN prompt_tokens INTEGER;
                ALTER TABLE jobs ADD COLUMN completion_tokens INTEGER;
                CREATE INDEX chat_sessions_by_owner ON chat_sessions (user_id, kind);
                CREATE INDEX jobs_by_session ON jobs (session_id, created_at);
                """)
        }
        // Retention: finished jobs by age.
        migrator.registerMigration("v3-retention") { db in
            try db.execute(sql: "CREATE INDEX jobs_finished ON jobs (status, updated_at)")
        }
        // Per-user limits: each user's questions in the current minute, and active jobs by user.
        migrator.registerMigration("v4-question-limits") { db in
            try db.execute(
                sql: """
                    CREATE TABLE user_question_windows (user_id TEXT PRIMARY KEY, window_start INTEGER NOT NULL, questions INTEGER NOT NULL);
                    CREATE INDEX jobs_active_by_user ON jobs (user_id) WHERE status IN ('QUEUED', 'PROCESSING');
                    """
            )
        }
        // Vectors of chunk texts, by the model that made them (hybrid search); a rowid table, as a
        // vector of 1.5 KB would spill to overflow pages in a WITHOUT ROWID b-tree (2.6x slower to
        // scan, measured). Chunks learn their
        // text's hash; the lessons' hashes are cleared so that the next ingest rewrites every chunk
        // with one.
        migrator.registerMigration("v5-embeddings") { db in
            try db.execute(
                sql: """
                    ALTER TABLE chunks ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
                    UPDATE lessons SET content_hash = '';
                    CREATE INDEX chunks_by_content ON chunks (scope, content_hash);
                    CREATE TABLE chunk_embeddings (
                        scope TEXT NOT NULL,
                        model TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        dimensions INTEGER NOT NULL,
                        vector BLOB NOT NULL,
                        PRIMARY KEY (scope, model, content_hash)
                    );
                    """
            )
        }
        try migrator.migrate(pool)
    }
}
