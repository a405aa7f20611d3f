import Crypto
import Foundation

/// A lesson (or landing page) as read from the content folder, with its chunks.
public struct LessonContent: Sendable, Equatable {
    /// A stable key: `<scope folder>/<file stem>`.
    public var id: String
    public var title: String
    public var position: Int
    public var markdown: String

    public init(id: String, title: String, position: Int, markdown: String) {
        self.id = id
        self.title = title
        self.position = position
        self.markdown = markdown
    }

    /// A digest of everything stored for the lesson; equal digests mean nothing to re-ingest.
    public var contentHash: String {
        SHA256.hex(of: "\(title)\u{1F}\(position)\u{1F}\(markdown)\u{1F}\(Chunker.version)")
    }

    /// The lesson's chunks, split on headings and size.
    public var chunks: [Chunk] { Chunker().chunks(of: self) }
}
