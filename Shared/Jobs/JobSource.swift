import Foundation

/// A piece of course material an answer was built from.
public struct JobSource: Codable, Sendable, Equatable, Hashable {
    public var lessonTitle: String
    public var chunkId: String?

    public init(lessonTitle: String, chunkId: String? = nil) {
        self.lessonTitle = lessonTitle
        self.chunkId = chunkId
    }
}
