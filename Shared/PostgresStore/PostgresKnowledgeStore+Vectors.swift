import Knowledge
import Logging
import PostgresNIO

/// Vectors on Postgres with pgvector: one table keyed like SQLite's, searched by cosine distance.
///
/// Each size of vector gets a partial HNSW index over the column cast to them (pgvector indexes
/// only typed vectors). Within a scope the planner chooses: a small scope is read in full and
/// sorted (exact), a scope that is most of the table walks the index (approximate, HNSW filtering
/// after the walk; pgvector 0.8's `hnsw.iterative_scan` makes that exact again where needed).
extension PostgresKnowledgeStore {
    public func checkVectorSupport() async throws {
        let rows = try await client.query("SELECT (to_regclass('chunk_embeddings') IS NOT NULL)::bool", logger: logger)
        for try await present in rows.decode(Bool.self) where present { return }
        throw KnowledgeStoreError(
            .vectorsUnavailable,
            "EMBEDDINGS_MODEL is set, but this Postgres cannot store vectors (no pgvector extension): \(PostgresJobStore.pgvectorAdvice); or unset EMBEDDINGS_MODEL to search by words only"
        )
    }

    public func pendingEmbeddings(model: String, limit: Int) async throws -> [PendingEmbedding] {
        let rows = try await client.query(
            """
            SELECT DISTINCT ON (c.scope, c.content_hash) c.scope, c.content_hash, c.heading, c.body
            FROM chunks c
            -- '' is a chunk stored before hashes were (re-ingested with its lesson's next ingest).
            WHERE c.content_hash <> '' AND NOT EXISTS (
                SELECT 1 FROM chunk_embeddings e WHERE e.scope = c.scope AND e.model = \(model) AND e.content_hash = c.content_hash
            )
            ORDER BY c.scope, c.content_hash
            LIMIT \(limit)
            """,
            logger: logger
        )
        var pending: [PendingEmbedding] = []
        for try await (scope, hash, heading, body) in rows.decode((String, String, String, String).self) {
            pending.append(PendingEmbedding(scope: scope, contentHash: hash, text: Chunk.embeddingText(heading: heading, body: body)))
        }
        return pending
    }

    public func saveEmbeddings(_ embeddings: [ChunkEmbedding], model: String) async throws {
        try await client.withTransaction(logger: logger) { connection in
            for embedding in embeddings {
                try await connection.query(
                    """
                    INSERT INTO chunk_embeddings (scope, model, content_hash, dimensions, embedding)
                    VALUES (\(embedding.scope), \(model), \(embedding.contentHash), \(embedding.vector.dimensions), \(embedding.vector.values)::real[]::vector)
                    ON CONFLICT (scope, model, content_hash) DO UPDATE SET dimensions = EXCLUDED.dimensions, embedding = EXCLUDED.embedding
                    """,
                    logger: logger
                )
            }
        }
    }

    /// An HNSW index for each size of vector stored. pgvector indexes at most 2,000 dimensions:
    /// larger vectors are searched without an index, exactly.
    public func indexEmbeddings() async throws {
        var sizes: [Int] = []
        for try await dimensions in try await client.query("SELECT DISTINCT dimensions FROM chunk_embeddings", logger: logger).decode(Int.self) {
            sizes.append(dimensions)
        }
        for dimensions in sizes where (1...2000).contains(dimensions) {
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE INDEX IF NOT EXISTS chunk_embeddings_hnsw_\(dimensions) ON chunk_embeddings
                        USING hnsw ((embedding::vector(\(dimensions))) vector_cosine_ops) WHERE dimensions = \(dimensions)
                        """
                ),
                logger: logger
            )
        }
        // Fresh statistics, or the planner, guessing, scans and sorts instead of walking the index.
        try await client.query("ANALYZE chunk_embeddings", logger: logger)
    }

    public func pruneEmbeddings(keeping model: String) async throws -> Int {
        let rows = try await client.query(
            """
            WITH deleted AS (
                DELETE FROM chunk_embeddings e
                WHERE e.model <> \(model)
                   OR NOT EXISTS (SELECT 1 FROM chunks c WHERE c.scope = e.scope AND c.content_hash = e.content_hash)
                RETURNING 1
            )
            SELECT count(*)::int8 FROM deleted
            """,
            logger: logger
        )
        var deleted = 0
        for try await count in rows.decode(Int.self) { deleted = count }
        return deleted
    }

    public func nearest(to vector: EmbeddingVector, model: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        // The dimensions are part of the type, so they are written into the statement (an integer
        // of ours, not text from outside); everything else is bound.
        let dimensions = vector.dimensions
        var binds = PostgresBindings()
        binds.append(vector.values)
        binds.append(scope.key)
        binds.append(model)
        binds.append(limit)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT c.id, c.lesson_id, l.title, c.heading, c.body, (1 - (e.embedding::vector(\(dimensions)) <=> $1::real[]::vector(\(dimensions))))::float8
                FROM chunk_embeddings e
                JOIN chunks c ON c.scope = e.scope AND c.content_hash = e.content_hash
                JOIN lessons l ON l.id = c.lesson_id
                WHERE e.scope = $2 AND e.model = $3 AND e.dimensions = \(dimensions)
                ORDER BY e.embedding::vector(\(dimensions)) <=> $1::real[]::vector(\(dimensions))
                LIMIT $4
                """,
            binds: binds
        )
        return try await PostgresOperation.run {
            var chunks: [RetrievedChunk] = []
            for try await (id, lessonId, title, heading, body, similarity) in try await client.query(query, logger: logger)
                .decode((String, String, String, String, String, Double).self)
            {
                chunks.append(RetrievedChunk(chunkId: id, lessonId: lessonId, lessonTitle: title, heading: heading, body: body, rank: similarity))
            }
            return chunks
        }
    }
}
