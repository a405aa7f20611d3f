import Foundation
import HTTPSupport
import Jobs

/// The body of `POST /assistant/query` and `POST /api/landing-assistant/query`.
struct QueryRequest: Decodable {
    var question: String
    var courseId: String?
    var sessionId: String?
    var lessonId: String?

    static let maximumQuestionLength = 4000
    /// A character may carry any number of combining marks: the bytes are bounded too, at four
    /// bytes per character (what any script needs without stacking marks).
    static let maximumQuestionBytes = 4 * maximumQuestionLength

    /// The question, checked against the contract's limits, without control characters other
    /// than line breaks and tabs (a NUL cannot even be stored).
    func validatedQuestion() throws -> String {
        let printable = String(String.UnicodeScalarView(question.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.properties.generalCategory == .control)
        }))
        let trimmed = printable.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw APIError.badRequest(.emptyQuestion, "The question is empty.")
        }
        guard question.count <= Self.maximumQuestionLength, question.utf8.count <= Self.maximumQuestionBytes else {
            throw APIError.badRequest(.questionTooLong, "The question is longer than \(Self.maximumQuestionLength) characters (or \(Self.maximumQuestionBytes) bytes).")
        }
        return trimmed
    }

    /// An identifier field (courseId, lessonId): at most 200 characters, no control characters.
    static func validatedIdentifier(_ value: String?, field: String) throws -> String? {
        guard let value else { return nil }
        guard value.count <= 200, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.badRequest(.invalidField, "The field \"\(field)\" must be at most 200 characters, without control characters.")
        }
        return value
    }

    /// The session to continue, or a new one.
    func validatedSessionId() throws -> UUID {
        guard let sessionId else { return UUID() }
        // The all-zero UUID is refused: anyone would guess it, and share one landing conversation.
        guard let uuid = UUID(uuidString: sessionId), uuid.uuidString != "00000000-0000-0000-0000-000000000000" else {
            throw APIError.badRequest(.invalidSessionId, "The sessionId must be a UUID (not the all-zero one).")
        }
        return uuid
    }
}
