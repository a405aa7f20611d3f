import Jobs
import Knowledge

/// Produces the text of an answer, piece by piece.
public protocol AnswerEngine: Sendable {
    /// Answers from the context, calling `onDelta` with each piece as it is produced.
    /// - Returns: what the answer rests on and what to ask next.
    func answer(_ context: AnswerContext, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras
}
