import HTTPSupport
import Jobs

extension APIError {
    /// A signed-in user past their limits: 429, with when to try again.
    init(_ error: QuestionLimitExceeded) {
        switch error.limit {
        case .questionsPerMinute:
            self.init(.tooManyRequests, code: .rateLimited, message: "Too many questions this minute; try again in a moment.", retryAfter: error.retryAfter)
        case .activeJobs:
            self.init(
                .tooManyRequests, code: .tooManyActiveJobs, message: "Earlier answers are still being written; ask again once one has finished.",
                retryAfter: error.retryAfter
            )
        }
    }
}
