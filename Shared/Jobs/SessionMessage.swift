import Foundation

/// A message of a conversation read back: a question, or an answer with what it was built from.
public struct SessionMessage: Sendable, Equatable {
    public var jobId: UUID
    public var role: ChatTurn.Role
    public var content: String
    /// An answer its owner stopped.
    public var stopped: Bool
    public var createdAt: Date
    /// An answer's sources and follow-up suggestions (empty for questions and stopped answers).
    public var sources: [JobSource]
    public var nextSuggestions: [String]

    public init(
        jobId: UUID, role: ChatTurn.Role, content: String, stopped: Bool, createdAt: Date, sources: [JobSource] = [], nextSuggestions: [String] = []
    ) {
        self.jobId = jobId
        self.role = role
        self.content = content
        self.stopped = stopped
        self.createdAt = createdAt
        self.sources = sources
        self.nextSuggestions = nextSuggestions
    }

    /// A stored message; an answer takes its sources and suggestions from its job's result JSON.
    public static func decoded(
        jobId: UUID, role: String, content: String, stopped: Bool, createdAt: Date, resultJSON: String?
    ) -> SessionMessage {
        let result = resultJSON.flatMap { try? JSONDecoder().decode(JobResult.self, from: Data($0.utf8)) }
        return SessionMessage(
            jobId: jobId, role: ChatTurn.Role(rawValue: role) ?? .user, content: content, stopped: stopped, createdAt: createdAt,
            sources: result?.sources ?? [], nextSuggestions: result?.nextSuggestions ?? []
        )
    }
}
