import Foundation

/// What a client sends to ask: the body of `POST /assistant/query` and
/// `POST /api/landing-assistant/query`, before any check.
public struct QuestionForm: Decodable, Sendable {
    public var question: String
    public var courseId: String?
    public var sessionId: String?
    public var lessonId: String?

    public init(question: String, courseId: String? = nil, sessionId: String? = nil, lessonId: String? = nil) {
        self.question = question
        self.courseId = courseId
        self.sessionId = sessionId
        self.lessonId = lessonId
    }

    public static let maximumQuestionLength = 4000
    /// A character may carry any number of combining marks: the bytes are bounded too, at four
    /// bytes per character (what any script needs without stacking marks).
    public static let maximumQuestionBytes = 4 * maximumQuestionLength
    /// The longest identifier field (courseId, lessonId).
    public static let maximumIdentifierLength = 200

    /// The question, checked against the contract's limits, without control characters other
    /// than line breaks and tabs (a NUL cannot even be stored), trimmed.
    public func validatedQuestion() throws(QuestionError) -> String {
        let printable = String(String.UnicodeScalarView(question.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.properties.generalCategory == .control)
        }))
        let trimmed = printable.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw QuestionError(.emptyQuestion, "The question is empty.") }
        guard question.count <= Self.maximumQuestionLength, question.utf8.count <= Self.maximumQuestionBytes else {
            throw QuestionError(
                .questionTooLong, "The question is longer than \(Self.maximumQuestionLength) characters (or \(Self.maximumQuestionBytes) bytes)."
            )
        }
        return trimmed
    }

    /// An identifier field (courseId, lessonId): at most 200 characters, no control characters.
    public static func validatedIdentifier(_ value: String?, field: String) throws(QuestionError) -> String? {
        guard let value else { return nil }
        guard value.count <= maximumIdentifierLength, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw QuestionError(.invalidField, "The field \"\(field)\" must be at most \(maximumIdentifierLength) characters, without control characters.")
        }
        return value
    }

    /// The conversation to continue, or a new one.
    public func validatedSessionId() throws(QuestionError) -> UUID {
        guard let sessionId else { return UUID() }
        // The all-zero UUID is refused: anyone would guess it, and share one landing conversation.
        guard let uuid = UUID(uuidString: sessionId), uuid.uuidString != "00000000-0000-0000-0000-000000000000" else {
            throw QuestionError(.invalidSessionId, "The sessionId must be a UUID (not the all-zero one).")
        }
        return uuid
    }
}
