/// A question refused by ``QuestionLimits``; nothing was stored.
public struct QuestionLimitExceeded: Error, Sendable, Equatable {
    public enum Limit: String, Sendable {
        /// ``QuestionLimits/perMinute``.
        case questionsPerMinute
        /// ``QuestionLimits/activeJobs``.
        case activeJobs
    }

    public var limit: Limit
    /// Seconds until a question may be accepted: the window's end, or a guess at an answer's length.
    public var retryAfter: Int

    public init(_ limit: Limit, retryAfter: Int) {
        self.limit = limit
        self.retryAfter = retryAfter
    }

    /// What a client is told to wait while its earlier answers run: about one answer's time.
    public static let activeJobsRetryAfter = 5
}
