import Foundation
import Jobs
import Knowledge

/// Asking a question, whoever asks and however it arrived: the form checked, the tutor's course
/// resolved (UUID, slug or legacy alias), the idempotency key scoped, and the job stored durably in
/// its conversation. Knows nothing of HTTP; the gateway's routes call it.
public struct QuestionIntake: Sendable {
    let store: any JobStore
    let knowledge: any KnowledgeStore
    let maxAttempts: Int
    /// What each signed-in user may ask (the anonymous guide's limit is per address, in the gateway).
    let userLimits: QuestionLimits

    public init(store: any JobStore, knowledge: any KnowledgeStore, maxAttempts: Int, userLimits: QuestionLimits = .none) {
        self.store = store
        self.knowledge = knowledge
        self.maxAttempts = maxAttempts
        self.userLimits = userLimits
    }

    /// Who asks.
    public struct Asker: Sendable {
        public var kind: AssistantKind
        /// The signed-in user's id, or `anonymous`.
        public var userId: String
        /// For anonymous askers, who all share one user id: the scope of their idempotency keys
        /// (the client's address), so that one visitor's key never returns another's job.
        public var keyScope: String?

        public init(kind: AssistantKind, userId: String, keyScope: String? = nil) {
            self.kind = kind
            self.userId = userId
            self.keyScope = keyScope
        }
    }

    /// Stores the question as a job, or returns the job an earlier request with the same
    /// idempotency key stored. Returns once the job is committed. Throws ``QuestionLimitExceeded``
    /// when a signed-in user is past ``userLimits``.
    public func accept(_ form: QuestionForm, from asker: Asker, idempotencyKey: String?) async throws -> EnqueueOutcome {
        let key = try Self.validatedIdempotencyKey(idempotencyKey).map { key in asker.keyScope.map { "\($0) \(key)" } ?? key }
        let question = try form.validatedQuestion()
        let sessionId = try form.validatedSessionId()
        let lessonId = try QuestionForm.validatedIdentifier(form.lessonId, field: "lessonId")
        var courseRef: String?
        var courseId: UUID?
        if asker.kind == .tutor {
            guard let reference = try QuestionForm.validatedIdentifier(form.courseId, field: "courseId")?.trimmingCharacters(in: .whitespaces),
                !reference.isEmpty
            else {
                throw QuestionError(.missingCourse, "The field \"courseId\" is required.")
            }
            guard let course = try await knowledge.resolveCourse(reference) else {
                throw QuestionError(.courseNotFound, "There is no course \"\(reference.prefix(100))\".")
            }
            courseRef = reference
            courseId = course.id
        }
        do {
            return try await store.enqueue(NewJob(
                kind: asker.kind, question: question, courseRef: courseRef, courseId: courseId, lessonId: asker.kind == .tutor ? lessonId : nil,
                sessionId: sessionId, userId: asker.userId, idempotencyKey: key, maxAttempts: maxAttempts
            ), limits: asker.kind == .tutor ? userLimits : .none)
        } catch let error as JobStoreError where error.code == .idempotencyConflict {
            throw QuestionError(.idempotencyKeyReused, error.message)
        } catch let error as JobStoreError where error.code == .sessionNotOwned {
            throw QuestionError(.sessionNotYours, error.message)
        }
    }

    /// An `Idempotency-Key`: 1 to 255 visible ASCII characters.
    public static func validatedIdempotencyKey(_ key: String?) throws(QuestionError) -> String? {
        guard let key else { return nil }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw QuestionError(.invalidIdempotencyKey, "The Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        return key
    }
}
