import Logging
import PostgresNIO

extension PostgresJobStore {
    /// What to do where pgvector is missing, said by the migration and by a worker that needs it.
    static let pgvectorAdvice = """
        install pgvector (the package postgresql-<version>-pgvector from PGDG's apt repository or Debian 13; a \
        managed Postgres: allow the extension `vector`), then run `tutorline-gateway migrate`
        """

    /// Creates pgvector's extension and the vectors' table when the server has pgvector; without
    /// it, says so and leaves search to full text. Run with every migration, so that installing
    /// pgvector later and migrating again is enough.
    ///
    /// The HNSW index depends on the model's dimensions, which only the ingest knows: it makes it
    /// (`PostgresKnowledgeStore.indexEmbeddings`).
    func ensureVectorSchema(on connection: PostgresConnection) async throws {
        var available = false
        for try await count in try await connection.query(
            "SELECT count(*)::int8 FROM pg_available_extensions WHERE name = 'vector'", logger: logger
        ).decode(Int.self) {
            available = count > 0
        }
        guard available else {
            logger.notice("pgvector is not installed: questions are searched by their words only. For embeddings (EMBEDDINGS_MODEL), \(Self.pgvectorAdvice)")
            return
        }
        do {
            try await connection.query("CREATE EXTENSION IF NOT EXISTS vector", logger: logger)
        } catch {
            logger.notice("pgvector could not be enabled (\(String(reflecting: error))): questions are searched by their words only. For embeddings, \(Self.pgvectorAdvice)")
            return
        }
        // No dimensions on the column: a change of model may change them. Keyed like SQLite's.
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS chunk_embeddings (
                scope TEXT NOT NULL,
                model TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                dimensions INT NOT NULL,
                embedding vector NOT NULL,
                PRIMARY KEY (scope, model, content_hash)
            )
            """,
            logger: logger
        )
    }
}
