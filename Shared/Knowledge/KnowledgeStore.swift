import Foundation

/// Courses, lessons and their searchable chunks.
public protocol KnowledgeStore: Sendable {
    /// The course a client named by UUID, slug or legacy alias; `nil` when there is none.
    func resolveCourse(_ reference: String) async throws -> Course?

    /// Loads content idempotently: unchanged lessons are left alone, changed ones have their chunks
    /// replaced, lessons no longer present are removed.
    func ingest(_ content: KnowledgeContent) async throws -> IngestReport

    /// The best-ranked chunks for a question's words within a scope (full-text search).
    func search(_ question: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk]

    // MARK: Vectors

    /// Throws ``KnowledgeStoreError/Code/vectorsUnavailable``, saying what to do, when the database
    /// cannot store vectors.
    func checkVectorSupport() async throws

    /// Chunk texts with no vector from `model`, at most `limit` of them.
    func pendingEmbeddings(model: String, limit: Int) async throws -> [PendingEmbedding]

    /// Stores vectors computed by `model`.
    func saveEmbeddings(_ embeddings: [ChunkEmbedding], model: String) async throws

    /// Readies stored vectors for search, once a batch of them is stored (Postgres: an HNSW index
    /// per size of vector, built over the loaded rows: many times faster than growing it row by row).
    func indexEmbeddings() async throws

    /// Deletes the vectors of other models and of texts no chunk holds any more; returns how many.
    func pruneEmbeddings(keeping model: String) async throws -> Int

    /// The chunks of a scope closest in meaning to a question's vector, closest first; `rank` is
    /// the cosine similarity.
    func nearest(to vector: EmbeddingVector, model: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk]
}
