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
}

/// A piece of course material an answer was built from.
public struct JobSource: Codable, Sendable, Equatable, Hashable {
    public var lessonTitle: String
    public var chunkId: String?

    public init(lessonTitle: String, chunkId: String? = nil) {
        self.lessonTitle = lessonTitle
        self.chunkId = chunkId
    }
}
