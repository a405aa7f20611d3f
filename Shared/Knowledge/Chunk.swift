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
