import Embeddings
import Knowledge
import Logging

/// Embeds every chunk text that has no vector from the embedder's model, in batches, then deletes
/// the vectors no chunk needs any more (other models', changed texts').
///
/// Run after each ingest: unchanged chunks keep their vectors, so re-running costs one query.
public struct EmbeddingIndexer: Sendable {
    /// What one run did.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var embedded = 0
        public var pruned = 0

        public init(embedded: Int = 0, pruned: Int = 0) {
            self.embedded = embedded
            self.pruned = pruned
        }

        public var description: String { "\(embedded) chunk text(s) embedded, \(pruned) stale vector(s) deleted" }
    }

    /// The store reports vectors missing that were just saved.
    public struct Stuck: Error, CustomStringConvertible {
        public var description: String { "the store still reports missing the vectors it was just given" }
    }

    let knowledge: any KnowledgeStore
    let embedder: any Embedder
    /// Chunk texts read from the store per round; the embedder batches them further.
    let pageSize: Int
    let logger: Logger

    public init(knowledge: any KnowledgeStore, embedder: any Embedder, pageSize: Int = 256, logger: Logger) {
        self.knowledge = knowledge
        self.embedder = embedder
        self.pageSize = pageSize
        self.logger = logger
    }

    public func run() async throws -> Report {
        try await knowledge.checkVectorSupport()
        var report = Report()
        var saved: Set<String> = []
        while true {
            let pending = try await knowledge.pendingEmbeddings(model: embedder.model, limit: pageSize)
            guard !pending.isEmpty else { break }
            // A store that saves and still reports the same texts would loop for ever.
            guard pending.allSatisfy({ !saved.contains("\($0.scope)/\($0.contentHash)") }) else {
                throw Stuck()
            }
            let vectors = try await embedder.embed(pending.map(\.text))
            guard vectors.count == pending.count else {
                throw EmbeddingsError(.malformedResponse, "\(pending.count) texts sent, \(vectors.count) vectors returned.")
            }
            var embeddings: [ChunkEmbedding] = []
            for (item, values) in zip(pending, vectors) {
                guard let vector = EmbeddingVector(values) else {
                    throw EmbeddingsError(.malformedResponse, "The embeddings API returned an empty or zero vector.")
                }
                embeddings.append(ChunkEmbedding(scope: item.scope, contentHash: item.contentHash, vector: vector))
                saved.insert("\(item.scope)/\(item.contentHash)")
            }
            try await knowledge.saveEmbeddings(embeddings, model: embedder.model)
            report.embedded += embeddings.count
            logger.debug("chunk texts embedded", metadata: ["count": "\(report.embedded)"])
        }
        // Also when nothing was new: a run that stopped after saving still gets its index.
        try await knowledge.indexEmbeddings()
        report.pruned = try await knowledge.pruneEmbeddings(keeping: embedder.model)
        return report
    }
}
