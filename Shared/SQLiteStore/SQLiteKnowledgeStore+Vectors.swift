import Foundation
import GRDB
import Knowledge

/// Vectors on SQLite: stored as little-endian floats beside the chunks, searched exactly in Swift.
/// A scope holds hundreds to a few thousand chunks; docs/RETRIEVAL.md has the cost at 10,000.
extension SQLiteKnowledgeStore {
    public func checkVectorSupport() async throws {}

    /// Nothing to build: every search reads the scope's vectors.
    public func indexEmbeddings() async throws {}

    public func pendingEmbeddings(model: String, limit: Int) async throws -> [PendingEmbedding] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.scope, c.content_hash, min(c.heading) AS heading, min(c.body) AS body
                    FROM chunks c
                    -- '' is a chunk stored before hashes were (re-ingested with its lesson's next ingest).
                    WHERE c.content_hash <> '' AND NOT EXISTS (
                        SELECT 1 FROM chunk_embeddings e WHERE e.scope = c.scope AND e.model = ? AND e.content_hash = c.content_hash
                    )
                    GROUP BY c.scope, c.content_hash
                    ORDER BY c.scope, c.content_hash
                    LIMIT ?
                    """,
                arguments: [model, limit]
            ).map { row in
                PendingEmbedding(scope: row["scope"], contentHash: row["content_hash"], text: Chunk.embeddingText(heading: row["heading"], body: row["body"]))
            }
        }
    }

    public func saveEmbeddings(_ embeddings: [ChunkEmbedding], model: String) async throws {
        try await database.write { db in
            for embedding in embeddings {
                try db.execute(
                    sql: """
                        INSERT INTO chunk_embeddings (scope, model, content_hash, dimensions, vector) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (scope, model, content_hash) DO UPDATE SET dimensions = excluded.dimensions, vector = excluded.vector
                        """,
                    arguments: [embedding.scope, model, embedding.contentHash, embedding.vector.dimensions, embedding.vector.data]
                )
            }
        }
    }

    public func pruneEmbeddings(keeping model: String) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: """
                    DELETE FROM chunk_embeddings
                    WHERE model <> ?
                       OR NOT EXISTS (SELECT 1 FROM chunks c WHERE c.scope = chunk_embeddings.scope AND c.content_hash = chunk_embeddings.content_hash)
                    """,
                arguments: [model]
            )
            return db.changesCount
        }
    }

    public func nearest(to vector: EmbeddingVector, model: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        try await database.read { db in
            // Every vector of the scope that a chunk holds (not one left from a changed text before
            // its prune), scored in place; only the best texts' chunks are read after.
            var scored: [(hash: String, similarity: Float)] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.content_hash, e.vector FROM chunk_embeddings e
                    WHERE e.scope = ? AND e.model = ? AND e.dimensions = ?
                      AND EXISTS (SELECT 1 FROM chunks c WHERE c.scope = e.scope AND c.content_hash = e.content_hash)
                    """,
                arguments: [scope.key, model, vector.dimensions]
            )
            while let row = try rows.next() {
                let similarity = try row.withUnsafeData(atIndex: 1) { data in
                    data?.withUnsafeBytes { vector.similarity(toStored: $0) } ?? nil
                }
                if let similarity { scored.append((row[0], similarity)) }
            }
            let best = scored.sorted { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.hash < $1.hash }.prefix(limit)
            guard !best.isEmpty else { return [] }
            let similarity = Dictionary(best.map { ($0.hash, $0.similarity) }, uniquingKeysWith: { first, _ in first })
            let chunks = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.lesson_id, l.title, c.heading, c.body, c.content_hash FROM chunks c JOIN lessons l ON l.id = c.lesson_id
                    WHERE c.scope = ? AND c.content_hash IN (\(databaseQuestionMarks(count: best.count)))
                    """,
                arguments: StatementArguments([scope.key] + best.map(\.hash))
            ).map { row in
                RetrievedChunk(
                    chunkId: row["id"], lessonId: row["lesson_id"], lessonTitle: row["title"], heading: row["heading"], body: row["body"],
                    rank: Double(similarity[row["content_hash"]] ?? 0)
                )
            }
            return Array(chunks.sorted { $0.rank != $1.rank ? $0.rank > $1.rank : $0.chunkId < $1.chunkId }.prefix(limit))
        }
    }
}
