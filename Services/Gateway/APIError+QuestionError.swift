import HTTPSupport
import Questions

extension APIError {
    /// The answer to a question not accepted: the same code, with its status.
    init(_ error: QuestionError) {
        let code = APIErrorCode(rawValue: error.code.rawValue) ?? .badRequest
        switch error.code {
        case .courseNotFound: self = .notFound(code, error.message)
        case .sessionNotYours: self = .forbidden(code, error.message)
        case .idempotencyKeyReused: self = .init(.conflict, code: code, message: error.message)
        case .emptyQuestion, .questionTooLong, .invalidField, .invalidSessionId, .invalidIdempotencyKey, .missingCourse:
            self = .badRequest(code, error.message)
        }
    }
}
