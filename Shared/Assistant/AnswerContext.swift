import Jobs
import Knowledge

/// What an engine answers from.
public struct AnswerContext: Sendable {
    public var job: Job
    /// The retrieved course (or landing) material, best first.
    public var excerpts: [RetrievedChunk]
    /// The conversation so far, oldest first.
    public var history: [ChatTurn]

    public init(job: Job, excerpts: [RetrievedChunk], history: [ChatTurn]) {
        self.job = job
        self.excerpts = excerpts
        self.history = history
    }

    /// The sources of the excerpts, one per chunk, in rank order.
    public var sources: [JobSource] {
        sources(of: Array(excerpts.indices))
    }

    /// The sources of the excerpts at these indices (in rank order).
    public func sources(of indices: [Int]) -> [JobSource] {
        indices.filter { excerpts.indices.contains($0) }.map { JobSource(lessonTitle: excerpts[$0].lessonTitle, chunkId: excerpts[$0].chunkId) }
    }
}
