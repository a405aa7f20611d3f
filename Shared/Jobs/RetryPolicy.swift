/// Jittered exponential backoff between attempts of a job.
public struct RetryPolicy: Sendable {
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(10)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before attempt `attempt + 1`, after `attempt` attempts failed: "equal jitter"
    /// (a uniform draw in the upper half of the exponential bound), so that retries of many jobs spread out.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let bound = min(baseDelay * (1 << exponent), maxDelay)
        let boundMillis = max(Int(bound.wholeMilliseconds), 1)
        return .milliseconds(Int.random(in: boundMillis / 2...boundMillis))
    }
}
