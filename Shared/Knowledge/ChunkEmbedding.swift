/// A vector to store for a chunk's text.
public struct ChunkEmbedding: Sendable, Equatable {
    public var scope: String
    public var contentHash: String
    public var vector: EmbeddingVector

    public init(scope: String, contentHash: String, vector: EmbeddingVector) {
        self.scope = scope
        self.contentHash = contentHash
        self.vector = vector
    }
}
