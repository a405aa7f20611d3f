import Foundation

/// One conversation in a list of a user's conversations.
public struct SessionSummary: Sendable, Equatable {
    public var id: UUID
    /// The conversation's first question.
    public var title: String
    /// When its first question was asked.
    public var createdAt: Date
    /// When its last question was asked: the list's order, newest first.
    public var lastActivity: Date

    public init(id: UUID, title: String, createdAt: Date, lastActivity: Date) {
        self.id = id
        self.title = title
        self.createdAt = createdAt
        self.lastActivity = lastActivity
    }

    /// Where the next page starts: after this conversation.
    public var cursor: SessionCursor { SessionCursor(lastActivity: lastActivity, id: id) }
}
