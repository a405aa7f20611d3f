import Foundation

/// One message of a conversation, as stored when its job completed.
public struct ChatTurn: Sendable, Equatable {
    public enum Role: String, Sendable {
        case user
        case assistant
    }

    public var jobId: UUID
    public var role: Role
    public var content: String

    public init(jobId: UUID, role: Role, content: String) {
        self.jobId = jobId
        self.role = role
        self.content = content
    }
}
