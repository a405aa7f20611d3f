import Crypto
import Foundation

extension Chunk {
    /// What is embedded for the chunk: its heading path and its body.
    public var embeddingText: String { Self.embeddingText(heading: heading, body: body) }

    /// What is embedded for a chunk with this heading and body.
    public static func embeddingText(heading: String, body: String) -> String { "\(heading)\n\n\(body)" }

    /// A digest of ``embeddingText``: a chunk's vector is stored under it, so an unchanged chunk is
    /// never embedded twice, even when its lesson changes around it.
    public var contentHash: String {
        SHA256.hex(of: embeddingText)
    }
}
