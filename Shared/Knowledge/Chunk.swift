/// A retrievable piece of a lesson: one section, or part of a long one.
public struct Chunk: Sendable, Equatable {
    /// `<lesson id>#<position>`: stable while the lesson is unchanged.
    public var id: String
    public var lessonId: String
    public var position: Int
    /// The lesson title and the section's heading path, searched with more weight than the body.
    public var heading: String
    public var body: String

    public init(id: String, lessonId: String, position: Int, heading: String, body: String) {
        self.id = id
        self.lessonId = lessonId
        self.position = position
        self.heading = heading
        self.body = body
    }
}

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
