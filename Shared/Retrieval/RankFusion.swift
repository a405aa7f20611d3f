import Knowledge

/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): a chunk scores
/// `Σ 1 / (k + rank)` over the rankings it appears in (rank from 1).
///
/// Ranks, not scores: a chunk found near the top by both searches wins, however far apart the
/// candidates are. `k = 60` is the paper's constant. The retriever's default was this until
/// measured with stronger models: it let the words' weak ranking pull a clear winner in meaning
/// down, so ``RelativeScoreFusion`` replaced it (docs/RETRIEVAL.md compares the two).
public struct RankFusion: Sendable {
    public var k: Double

    public init(k: Double = 60) {
        self.k = k
    }

    /// The fused score of a chunk found at these positions (from 0) of the rankings holding it.
    public func score(ranks: [Int]) -> Double {
        ranks.reduce(0) { $0 + 1 / (k + Double($1 + 1)) }
    }

    /// The chunks of all `rankings`, best first; `rank` is the fused score. Ties keep the order of
    /// the earlier ranking.
    public func fuse(_ rankings: [[RetrievedChunk]], limit: Int) -> [RetrievedChunk] {
        var fused = FusedScores()
        for ranking in rankings {
            for (index, chunk) in ranking.enumerated() { fused.add(chunk, score: score(ranks: [index])) }
        }
        return fused.best(limit)
    }
}
