/// What an answer cost at the model: the tokens of its prompt and of its completion, as the
/// provider reported them (`stream_options.include_usage`).
public struct TokenUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}
