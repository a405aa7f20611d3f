import Knowledge

/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): a chunk scores
/// `Σ 1 / (k + rank)` over the rankings it appears in (rank from 1).
///
/// Ranks, not scores: a BM25 score and a cosine similarity are on scales that cannot be added,
/// and a chunk found near the top by both searches is the one most worth showing. `k = 60` is
/// the paper's constant, chosen before measuring; docs/RETRIEVAL.md compares it with others.
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
