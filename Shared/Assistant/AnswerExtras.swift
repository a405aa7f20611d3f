import Jobs
import Knowledge

/// What comes with an answer besides its text.
public struct AnswerExtras: Sendable, Equatable {
    public var nextSuggestions: [String]
    public var sources: [JobSource]

    public init(nextSuggestions: [String] = [], sources: [JobSource] = []) {
        self.nextSuggestions = nextSuggestions
        self.sources = sources
    }
}
