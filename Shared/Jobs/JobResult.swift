import Foundation

/// The data of a job's `completed` event, stored as the job's result.
public struct JobResult: Codable, Sendable, Equatable {
    public var jobId: UUID
    public var answer: String
    public var sessionId: UUID
    public var nextSuggestions: [String]
    public var sources: [JobSource]

    public init(jobId: UUID, answer: String, sessionId: UUID, nextSuggestions: [String] = [], sources: [JobSource] = []) {
        self.jobId = jobId
        self.answer = answer
        self.sessionId = sessionId
        self.nextSuggestions = nextSuggestions
        self.sources = sources
    }

    enum CodingKeys: String, CodingKey {
        case jobId, answer, sessionId, nextSuggestions, sources
    }

    /// UUIDs go out in lowercase, the canonical form used in every URL and body.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobId.uuidString.lowercased(), forKey: .jobId)
        try container.encode(answer, forKey: .answer)
        try container.encode(sessionId.uuidString.lowercased(), forKey: .sessionId)
        try container.encode(nextSuggestions, forKey: .nextSuggestions)
        try container.encode(sources, forKey: .sources)
    }
}
