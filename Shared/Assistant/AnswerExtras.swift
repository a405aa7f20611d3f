import Jobs
import Knowledge

/// What comes with an answer besides its text.
public struct AnswerExtras: Sendable, Equatable {
    public var nextSuggestions: [String]
    public var sources: [JobSource]
    /// What the answer cost at the model, when it said (the offline engine costs nothing).
    public var usage: TokenUsage?

    public init(nextSuggestions: [String] = [], sources: [JobSource] = [], usage: TokenUsage? = nil) {
        self.nextSuggestions = nextSuggestions
        self.sources = sources
        self.usage = usage
    }
}
