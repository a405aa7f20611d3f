/// Turns texts into vectors: an embeddings API, or a stand-in in tests.
public protocol Embedder: Sendable {
    /// What its vectors are stored under: the model's name (and whatever else changes them, such
    /// as a document prefix). Vectors of another name are another model's, re-embedded once.
    var model: String { get }

    /// One vector per text (the course material), in the order given.
    func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]]

    /// The vector of a question, searched against the material's.
    func embedQuestion(_ question: String) async throws(EmbeddingsError) -> [Float]
}

extension Embedder {
    /// A symmetric model embeds a question as any other text.
    public func embedQuestion(_ question: String) async throws(EmbeddingsError) -> [Float] {
        try Self.onlyVector(of: try await embed([question]))
    }

    /// The vector a request for one text returned.
    static func onlyVector(of vectors: [[Float]]) throws(EmbeddingsError) -> [Float] {
        guard let vector = vectors.first else { throw EmbeddingsError(.malformedResponse, "The embeddings API returned no vector.") }
        return vector
    }
}
