import Knowledge

/// Relative score fusion (Weaviate's default for hybrid search since 1.24): each search's scores
/// are scaled to 0...1 over the chunks it found (its best 1, its weakest 0), and a chunk scores
/// `alpha × meaning + (1 − alpha) × words`, a search that did not find it counting 0.
///
/// Unlike rank fusion it keeps how far apart the candidates are: a chunk far closer in meaning
/// than the rest stays first even when the words rank it low, and a tie in meaning is broken by
/// the words. `alpha = 0.75` is Weaviate's default, taken before measuring; docs/RETRIEVAL.md
/// compares it with rank fusion and other weights.
public struct RelativeScoreFusion: ResultFusion {
    /// The weight of the search by meaning; the words weigh `1 − alpha`.
    public var alpha: Double

    public init(alpha: Double = 0.75) {
        self.alpha = alpha
    }

    public func fuse(words: [RetrievedChunk], meaning: [RetrievedChunk], limit: Int) -> [RetrievedChunk] {
        var scores: [String: Double] = [:]
        var chunks: [String: RetrievedChunk] = [:]
        var order: [String] = []
        for (ranking, weight) in [(meaning, alpha), (words, 1 - alpha)] {
            for (chunk, scaled) in zip(ranking, Self.scaled(ranking.map(\.rank))) {
                scores[chunk.chunkId, default: 0] += weight * scaled
                if chunks[chunk.chunkId] == nil {
                    chunks[chunk.chunkId] = chunk
                    order.append(chunk.chunkId)
                }
            }
        }
        // Ties keep the order in which the searches found them, meaning first.
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return scores.sorted { left, right in
            left.value != right.value ? left.value > right.value : (position[left.key] ?? 0) < (position[right.key] ?? 0)
        }
        .prefix(limit)
        .compactMap { id, score in
            chunks[id].map { chunk in
                var fused = chunk
                fused.rank = score
                return fused
            }
        }
    }

    /// Scores scaled to 0...1 (higher is better); all equal scale to 1.
    static func scaled(_ scores: [Double]) -> [Double] {
        guard let low = scores.min(), let high = scores.max() else { return [] }
        guard high > low else { return scores.map { _ in 1 } }
        return scores.map { ($0 - low) / (high - low) }
    }
}
