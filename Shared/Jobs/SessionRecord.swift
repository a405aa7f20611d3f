import Foundation

/// One conversation as its owner reads it back: every message in order, and the jobs still running.
public struct SessionRecord: Sendable, Equatable {
    public var id: UUID
    /// The owner: a user id, or `anonymous` for the landing guide.
    public var userId: String
    public var kind: AssistantKind
    public var messages: [SessionMessage]
    /// Questions not answered yet (queued or being answered), oldest first.
    public var running: [Job]

    public init(id: UUID, userId: String, kind: AssistantKind, messages: [SessionMessage], running: [Job]) {
        self.id = id
        self.userId = userId
        self.kind = kind
        self.messages = messages
        self.running = running
    }
}
