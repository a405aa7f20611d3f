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
        // Ties keep the order in which the searches found them, meaning first.
        var fused = FusedScores()
        for (ranking, weight) in [(meaning, alpha), (words, 1 - alpha)] {
            for (chunk, scaled) in zip(ranking, Self.scaled(ranking.map(\.rank))) { fused.add(chunk, score: weight * scaled) }
        }
        return fused.best(limit)
    }

    /// Scores scaled to 0...1 (higher is better); all equal scale to 1.
    static func scaled(_ scores: [Double]) -> [Double] {
        guard let low = scores.min(), let high = scores.max() else { return [] }
        guard high > low else { return scores.map { _ in 1 } }
        return scores.map { ($0 - low) / (high - low) }
    }
}
