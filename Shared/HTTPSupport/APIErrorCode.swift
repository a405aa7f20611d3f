/// Every code a client can find in an API error body, in one place: clients branch on these, and a
/// test checks the README's tables against this list.
public enum APIErrorCode: String, CaseIterable, Sendable {
    // 400: the request is malformed.
    case badRequest = "bad_request"
    case malformedJSON = "malformed_json"
    case missingField = "missing_field"
    case invalidField = "invalid_field"
    case emptyQuestion = "empty_question"
    case questionTooLong = "question_too_long"
    case missingCourse = "missing_course"
    case invalidJobId = "invalid_job_id"
    case invalidSessionId = "invalid_session_id"
    case invalidIdempotencyKey = "invalid_idempotency_key"
    case invalidLastEventId = "invalid_last_event_id"
    case invalidLimit = "invalid_limit"
    case invalidCursor = "invalid_cursor"
    case incompleteBody = "incomplete_body"
    // 401: no credential, or not a good one.
    case missingToken = "missing_token"
    case invalidToken = "invalid_token"
    case expiredToken = "expired_token"
    // 403: a good credential for something else.
    case notYourJob = "not_your_job"
    case sessionNotYours = "session_not_yours"
    case tokenForOtherJob = "token_for_other_job"
    case tokenForOtherAssistant = "token_for_other_assistant"
    case originNotAllowed = "origin_not_allowed"
    // 404, 405, 409, 413, 415.
    case notFound = "not_found"
    case jobNotFound = "job_not_found"
    case sessionNotFound = "session_not_found"
    case courseNotFound = "course_not_found"
    case methodNotAllowed = "method_not_allowed"
    case idempotencyKeyReused = "idempotency_key_reused"
    case bodyTooLarge = "body_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    // 429: too much from one client (with Retry-After).
    case rateLimited = "rate_limited"
    case tooManyStreams = "too_many_streams"
    case tooManyActiveJobs = "too_many_active_jobs"
    // 5xx: ours (503 with Retry-After).
    case storeUnavailable = "store_unavailable"
    case authUnavailable = "auth_unavailable"
    case shuttingDown = "shutting_down"
    case internalError = "internal_error"
}
