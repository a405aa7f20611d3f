import Embeddings
import Knowledge
import Logging
import Metrics

/// Finds the material for a question: full-text search, and, with an embedder, the chunks
/// closest in meaning, fused into one ranking.
///
/// One embedding request per question. When it fails or times out, or the scope has no vectors of
/// the model, the question is answered from full-text search alone: counted
/// (`tutorline_retrieval_degraded_total{reason}`; a failure is also logged), never a failed job.
public struct Retriever: Sendable {
    let knowledge: any KnowledgeStore
    let embedder: (any Embedder)?
    let mode: RetrievalMode
    let fusion: any ResultFusion
    /// How many chunks each search contributes to the fusion.
    let candidates: Int
    let logger: Logger

    public init(
        knowledge: any KnowledgeStore, embedder: (any Embedder)?, mode: RetrievalMode = .hybrid, fusion: any ResultFusion = RelativeScoreFusion(),
        candidates: Int = 20, logger: Logger
    ) {
        self.knowledge = knowledge
        self.embedder = embedder
        self.mode = embedder == nil ? .fullText : mode
        self.fusion = fusion
        self.candidates = candidates
        self.logger = logger
    }

    /// The best `limit` chunks for `question` within `scope`, best first.
    public func retrieve(_ question: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        guard let embedder, mode != .fullText else {
            return try await knowledge.search(question, scope: scope, limit: limit)
        }
        if mode == .vector {
            if let meaning = await nearest(question, embedder: embedder, scope: scope, limit: limit), !meaning.isEmpty { return meaning }
            return try await knowledge.search(question, scope: scope, limit: limit)
        }
        // Both searches at once: the embedding request is the slow part.
        async let byWords = knowledge.search(question, scope: scope, limit: candidates)
        let meaning = await nearest(question, embedder: embedder, scope: scope, limit: candidates)
        let words = try await byWords
        guard let meaning, !meaning.isEmpty else { return Array(words.prefix(limit)) }
        return fusion.fuse(words: words, meaning: meaning, limit: limit)
    }

    /// The chunks closest to the question's vector; `nil` when the question could not be embedded
    /// or the vectors searched.
    private func nearest(_ question: String, embedder: any Embedder, scope: KnowledgeScope, limit: Int) async -> [RetrievedChunk]? {
        let reason: String
        let detail: String
        do throws(EmbeddingsError) {
            let values = try await embedder.embedQuestion(question)
            guard let vector = EmbeddingVector(values) else {
                throw EmbeddingsError(.malformedResponse, "The embeddings API returned an empty vector.")
            }
            do {
                let found = try await knowledge.nearest(to: vector, model: embedder.model, scope: scope, limit: limit)
                // No vectors of this model in the scope: the ingest has not embedded it (yet).
                if found.isEmpty { Self.degraded("no_vectors") }
                return found
            } catch {
                reason = "vector_search_failed"
                detail = "\(error)"
            }
        } catch {
            reason = error.code.rawValue
            detail = error.message
        }
        // A stopped job's request is cut short: nothing failed.
        if Task.isCancelled { return nil }
        Self.degraded(reason)
        logger.warning("retrieval by meaning failed: searching by words only", metadata: ["reason": "\(reason)", "error": "\(detail)"])
        return nil
    }

    static func degraded(_ reason: String) {
        Counter(label: "tutorline_retrieval_degraded_total", dimensions: [("reason", reason)]).increment()
    }
}
