/// Turns texts into vectors: an embeddings API, or a stand-in in tests.
public protocol Embedder: Sendable {
    /// The model's name, stored beside every vector it made.
    var model: String { get }

    /// One vector per text, in the order given.
    func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]]
}
