/// Why a question was not accepted. The codes are the API's (`APIErrorCode` has the same raw
/// values); the gateway gives each its status.
public struct QuestionError: Error, Sendable, Equatable {
    public enum Code: String, Sendable, CaseIterable {
        case emptyQuestion = "empty_question"
        case questionTooLong = "question_too_long"
        case invalidField = "invalid_field"
        case invalidSessionId = "invalid_session_id"
        case invalidIdempotencyKey = "invalid_idempotency_key"
        case missingCourse = "missing_course"
        /// The course the tutor's question names does not exist.
        case courseNotFound = "course_not_found"
        /// The key was used before for another question.
        case idempotencyKeyReused = "idempotency_key_reused"
        /// The conversation is another user's (or the other assistant's).
        case sessionNotYours = "session_not_yours"
    }

    public var code: Code
    /// A message for a person.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
