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
        var scores: [String: Double] = [:]
        var chunks: [String: RetrievedChunk] = [:]
        var firstSeen: [String: Int] = [:]
        for ranking in rankings {
            for (index, chunk) in ranking.enumerated() {
                scores[chunk.chunkId, default: 0] += score(ranks: [index])
                if chunks[chunk.chunkId] == nil {
                    chunks[chunk.chunkId] = chunk
                    firstSeen[chunk.chunkId] = firstSeen.count
                }
            }
        }
        return scores.sorted { left, right in
            left.value != right.value ? left.value > right.value : (firstSeen[left.key] ?? 0) < (firstSeen[right.key] ?? 0)
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
}
