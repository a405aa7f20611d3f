import Foundation

/// One question being answered: the unit of work of the queue.
public struct Job: Sendable, Equatable {
    /// The job's id, also the name of its spool file.
    public var id: UUID
    /// Which assistant answers it.
    public var kind: AssistantKind
    public var status: JobStatus
    /// The question as the person asked it.
    public var question: String
    /// The course the question is about, as the client named it (UUID, slug or alias); tutor jobs only.
    public var courseRef: String?
    /// The course's UUID, resolved from `courseRef` when the job was accepted.
    public var courseId: UUID?
    public var lessonId: String?
    public var sessionId: UUID
    /// The asking user's id, or `anonymous`.
    public var userId: String
    /// How many times a worker has claimed the job.
    public var attempts: Int
    public var maxAttempts: Int
    /// Set at each claim; only the holder of the current token may finish or extend the job.
    public var leaseToken: UUID?
    public var lockedUntil: Date?
    /// The data of the `completed` event, once completed.
    public var result: JobResult?
    public var errorCode: String?
    public var errorMessage: String?
    /// The spool event id the terminal event carries, recorded with the result so that a stream
    /// replica can send the same terminal event when the spool never got it.
    public var terminalEventId: Int?
    /// Someone asked the job to stop (``JobStore/requestCancel(jobId:)``); its worker ends it.
    public var cancelRequested: Bool
    /// The text streamed before the job was stopped (code `cancelled`).
    public var partialAnswer: String?
    /// The tokens the answering attempt cost, when the model reported them.
    public var usage: TokenUsage?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, kind: AssistantKind, status: JobStatus, question: String, courseRef: String?, courseId: UUID? = nil, lessonId: String?,
        sessionId: UUID, userId: String, attempts: Int, maxAttempts: Int, leaseToken: UUID?, lockedUntil: Date?,
        result: JobResult?, errorCode: String?, errorMessage: String?, terminalEventId: Int?,
        cancelRequested: Bool = false, partialAnswer: String? = nil, usage: TokenUsage? = nil, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.question = question
        self.courseRef = courseRef
        self.courseId = courseId
        self.lessonId = lessonId
        self.sessionId = sessionId
        self.userId = userId
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.leaseToken = leaseToken
        self.lockedUntil = lockedUntil
        self.result = result
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.terminalEventId = terminalEventId
        self.cancelRequested = cancelRequested
        self.partialAnswer = partialAnswer
        self.usage = usage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
