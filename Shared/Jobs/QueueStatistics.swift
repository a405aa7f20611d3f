import Foundation

/// How the queue stands: what operators watch.
public struct QueueStatistics: Sendable, Equatable {
    /// Jobs by status (absent statuses count zero).
    public var counts: [JobStatus: Int]
    /// How long the oldest runnable queued job has waited; `nil` when none waits.
    public var oldestQueuedAge: Duration?

    public init(counts: [JobStatus: Int], oldestQueuedAge: Duration?) {
        self.counts = counts
        self.oldestQueuedAge = oldestQueuedAge
    }
}
