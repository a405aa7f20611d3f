import Knowledge

/// The scores a fusion gives chunks, summed over the rankings that hold them.
struct FusedScores {
    private var scores: [String: Double] = [:]
    private var chunks: [String: RetrievedChunk] = [:]
    private var firstSeen: [String: Int] = [:]

    /// Adds `score` to the chunk's sum.
    mutating func add(_ chunk: RetrievedChunk, score: Double) {
        scores[chunk.chunkId, default: 0] += score
        if chunks[chunk.chunkId] == nil {
            chunks[chunk.chunkId] = chunk
            firstSeen[chunk.chunkId] = firstSeen.count
        }
    }

    /// The best `limit` chunks, their `rank` the sum; ties keep the order chunks were first added.
    func best(_ limit: Int) -> [RetrievedChunk] {
        scores.sorted { left, right in
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
