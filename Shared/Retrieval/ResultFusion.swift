import Knowledge

/// Merges the chunks found by words and those found by meaning into one ranking.
public protocol ResultFusion: Sendable {
    /// The best `limit` chunks of both searches (each best first), best first; `rank` is the
    /// fused score.
    func fuse(words: [RetrievedChunk], meaning: [RetrievedChunk], limit: Int) -> [RetrievedChunk]
}

extension RankFusion: ResultFusion {
    public func fuse(words: [RetrievedChunk], meaning: [RetrievedChunk], limit: Int) -> [RetrievedChunk] {
        fuse([words, meaning], limit: limit)
    }
}
