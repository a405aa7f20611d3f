import Foundation

/// One message of a conversation, as stored when its job completed or was stopped.
public struct ChatTurn: Sendable, Equatable {
    public enum Role: String, Sendable {
        case user
        case assistant
    }

    public var jobId: UUID
    public var role: Role
    public var content: String
    /// An answer its owner stopped: the text streamed until then.
    public var stopped: Bool

    public init(jobId: UUID, role: Role, content: String, stopped: Bool = false) {
        self.jobId = jobId
        self.role = role
        self.content = content
        self.stopped = stopped
    }
}
