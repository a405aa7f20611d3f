/// A chunk's text that has no vector yet from the model in use: embedded once per scope and
/// content hash, however many chunks share them.
public struct PendingEmbedding: Sendable, Equatable {
    public var scope: String
    public var contentHash: String
    public var text: String

    public init(scope: String, contentHash: String, text: String) {
        self.scope = scope
        self.contentHash = contentHash
        self.text = text
    }
}
