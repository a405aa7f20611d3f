import Jobs

/// Produces the text of an answer, piece by piece.
public protocol AnswerEngine: Sendable {
    /// Answers the job, calling `onDelta` with each piece as it is produced.
    /// - Returns: what the answer rests on and what to ask next.
    func answer(_ job: Job, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras
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
