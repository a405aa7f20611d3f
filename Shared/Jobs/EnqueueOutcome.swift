import Foundation

/// The answer of ``JobStore/enqueue(_:)``.
public struct EnqueueOutcome: Sendable, Equatable {
    /// The stored job: the new one, or the one the idempotency key names.
    public var job: Job
    /// `false` when an earlier request with the same idempotency key created the job.
    public var created: Bool

    public init(job: Job, created: Bool) {
        self.job = job
        self.created = created
    }
}
