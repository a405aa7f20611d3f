import Foundation

/// What the gateway stores when it accepts a query.
public struct NewJob: Sendable, Equatable {
    public var id: UUID
    public var kind: AssistantKind
    public var question: String
    public var courseRef: String?
    /// The UUID `courseRef` resolved to.
    public var courseId: UUID?
    public var lessonId: String?
    public var sessionId: UUID
    public var userId: String
    /// The client's `Idempotency-Key`, unique per user and assistant.
    public var idempotencyKey: String?
    public var maxAttempts: Int

    public init(
        id: UUID = UUID(), kind: AssistantKind, question: String, courseRef: String? = nil, courseId: UUID? = nil, lessonId: String? = nil,
        sessionId: UUID = UUID(), userId: String, idempotencyKey: String? = nil, maxAttempts: Int = 3
    ) {
        self.id = id
        self.kind = kind
        self.question = question
        self.courseRef = courseRef
        self.courseId = courseId
        self.lessonId = lessonId
        self.sessionId = sessionId
        self.userId = userId
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
    }
}
