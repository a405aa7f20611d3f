/// A chunk found by a search, with its lesson's title and its rank.
public struct RetrievedChunk: Sendable, Equatable {
    public var chunkId: String
    public var lessonId: String
    public var lessonTitle: String
    public var heading: String
    public var body: String
    public var rank: Double

    public init(chunkId: String, lessonId: String, lessonTitle: String, heading: String, body: String, rank: Double) {
        self.chunkId = chunkId
        self.lessonId = lessonId
        self.lessonTitle = lessonTitle
        self.heading = heading
        self.body = body
        self.rank = rank
    }
}
