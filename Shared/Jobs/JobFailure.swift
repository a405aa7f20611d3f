import Foundation

/// Why a job could not be answered, and whether trying again may help.
public struct JobFailure: Error, Sendable, Equatable {
    /// A snake_case code for clients (`llm_unavailable`, `llm_rejected`, ...).
    public var code: String
    /// A message for a person.
    public var message: String
    /// Whether a later attempt may succeed (rate limits, 5xx, timeouts, lost connections).
    public var isTransient: Bool
    /// The least wait before the next attempt, when the cause said (a model's `Retry-After`).
    public var retryAfter: Duration?

    public init(code: String, message: String, isTransient: Bool, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.isTransient = isTransient
        self.retryAfter = retryAfter
    }

    /// A failure of ours (not the model's).
    public init(_ code: JobFailureCode, message: String, isTransient: Bool) {
        self.init(code: code.rawValue, message: message, isTransient: isTransient)
    }

    /// The job's lease passed to another worker; this worker must stop touching it.
    public static let leaseLost = JobFailure(.leaseLost, message: "The job was taken over by another worker.", isTransient: false)
    /// The owner stopped the answer (``JobStore/requestCancel(jobId:)``).
    public static let cancelled = JobFailure(.cancelled, message: "The answer was stopped.", isTransient: false)
    /// The worker is shutting down and gave the job back to the queue.
    public static let released = JobFailure(.released, message: "The worker shut down; another takes the job.", isTransient: true)
}
