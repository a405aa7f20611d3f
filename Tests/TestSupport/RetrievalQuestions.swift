import Foundation
import Knowledge

/// A retrieval question set of `content/`: each question with its scope and the title of the
/// lesson or page that answers it.
public struct RetrievalQuestion: Sendable {
    public var scope: KnowledgeScope
    public var question: String
    public var expectedTitle: String

    /// The sample course's id, the scope of every course question.
    public static let sampleCourseId = UUID(uuidString: "5b0f6c1e-3c2a-4e8d-9a51-2f7d4c8e1a90") ?? UUID()

    /// Reads `content/<file>`: a header line, then `course|landing <tab> question <tab> title`.
    public static func load(_ file: String) throws -> [RetrievalQuestion] {
        try String(contentsOfFile: TestSystem.contentDirectory + "/" + file, encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }.filter { $0.count == 3 }
            .map { RetrievalQuestion(scope: $0[0] == "landing" ? .landing : .course(sampleCourseId), question: $0[1], expectedTitle: $0[2]) }
    }

    /// Where the expected title ranks among the distinct lesson titles of `found` (from 0).
    public func position(in found: [RetrievedChunk]) -> Int? {
        var titles: [String] = []
        for chunk in found where !titles.contains(chunk.lessonTitle) { titles.append(chunk.lessonTitle) }
        return titles.firstIndex(of: expectedTitle)
    }
}
