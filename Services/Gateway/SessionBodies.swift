import Foundation
import Jobs

/// `GET /assistant/sessions`: a page of conversations, and where the next starts (`null` at the end).
struct SessionListBody: Encodable {
    struct Session: Encodable {
        var sessionId: String
        var title: String
        var createdAt: String
        var lastActivity: String
    }

    var sessions: [Session]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey { case sessions, nextCursor }

    /// `nextCursor` is written as `null` at the end, not left out: clients test for it.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessions, forKey: .sessions)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// `GET <prefix>/sessions/:sessionId`: a conversation's messages in order, and its unanswered questions.
struct SessionBody: Encodable {
    struct Message: Encodable {
        var jobId: String
        var role: String
        var content: String
        /// An answer its owner stopped.
        var stopped: Bool
        var createdAt: String
        var sources: [JobSource]
        var nextSuggestions: [String]
    }

    /// A question still being answered, with fresh links to follow it.
    struct Running: Encodable {
        var jobId: String
        var status: String
        var question: String
        var streamUrl: String
        var pollUrl: String
        var cancelUrl: String
    }

    var sessionId: String
    var messages: [Message]
    var running: [Running]
}

extension Date {
    /// ISO 8601 with milliseconds, UTC: how API bodies write times.
    var wireTimestamp: String { formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) }
}
