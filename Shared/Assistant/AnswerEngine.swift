import Jobs
import Knowledge

/// Produces the text of an answer, piece by piece.
public protocol AnswerEngine: Sendable {
    /// Answers from the context, calling `onDelta` with each piece as it is produced.
    /// - Returns: what the answer rests on and what to ask next.
    func answer(_ context: AnswerContext, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras
}

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
        excerpts.map { JobSource(lessonTitle: $0.lessonTitle, chunkId: $0.chunkId) }
    }
}

/// What comes with an answer besides its text.
public struct AnswerExtras: Sendable, Equatable {
    public var nextSuggestions: [String]
    public var sources: [JobSource]

    public init(nextSuggestions: [String] = [], sources: [JobSource] = []) {
        self.nextSuggestions = nextSuggestions
        self.sources = sources
    }
}
