import Jobs
import LLM
import Logging
import Synchronization

/// Answers with an OpenAI-compatible language model, grounded in the retrieved excerpts.
public struct LLMAnswerEngine: AnswerEngine {
    let client: ChatCompletionClient
    let logger: Logger

    public init(client: ChatCompletionClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Ends an answer the model stopped at its length limit (`LLM_MAX_TOKENS`).
    public static let cutShortNote = " …\n\n(This answer was cut short: it reached its length limit.)"

    public func answer(_ context: AnswerContext, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras {
        let splitter = Mutex(SuggestionSplitter())
        let completion: ChatCompletionClient.Completion
        do {
            completion = try await client.complete(messages: Prompt.messages(for: context)) { piece in
                let visible = splitter.withLock { $0.feed(piece) }
                if !visible.isEmpty { try await onDelta(visible) }
            }
        } catch {
            if let detail = error.detail {
                logger.warning("language model error", metadata: ["job": "\(context.job.id.lowercasedString)", "code": "\(error.code.rawValue)", "detail": "\(detail)"])
            }
            throw JobFailure(code: error.code.rawValue, message: error.message, isTransient: error.isTransient, retryAfter: error.retryAfter)
        }
        var (tail, suggestions) = splitter.withLock { $0.finish() }
        if completion.reachedLengthLimit {
            // Kept, and said: a person should know the answer stops short, not think it complete.
            tail += Self.cutShortNote
            logger.notice("answer reached the length limit", metadata: ["job": "\(context.job.id.lowercasedString)"])
        }
        if !tail.isEmpty {
            do {
                try await onDelta(tail)
            } catch {
                throw JobFailure(.spoolUnavailable, message: "The answer could not be delivered (\(error)).", isTransient: true)
            }
        }
        var usage: TokenUsage?
        if let prompt = completion.promptTokens, let completed = completion.completionTokens {
            usage = TokenUsage(promptTokens: prompt, completionTokens: completed)
        }
        return AnswerExtras(nextSuggestions: suggestions, sources: context.sources, usage: usage)
    }
}
