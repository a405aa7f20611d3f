import Jobs
import LLM

/// Answers with an OpenAI-compatible language model.
public struct LLMAnswerEngine: AnswerEngine {
    let client: ChatCompletionClient

    public init(client: ChatCompletionClient) {
        self.client = client
    }

    public func answer(_ job: Job, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras {
        do {
            try await client.complete(messages: Prompt.messages(for: job), onDelta: onDelta)
        } catch {
            throw JobFailure(code: error.code.rawValue, message: error.message, isTransient: error.isTransient)
        }
        return AnswerExtras()
    }
}
