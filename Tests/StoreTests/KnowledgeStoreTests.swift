import Foundation
import Knowledge
import TestSupport
import Testing

/// Ingestion, course resolution and retrieval, against each store kind.
@Suite struct KnowledgeStoreTests {
    static let kinds = StoreKind.allCases
    static let courseId = RetrievalQuestion.sampleCourseId

    static func tinyContent(lessonBody: String = "## Tokens\n\nA token is a piece of a word.") -> KnowledgeContent {
        let course = Course(id: UUID(uuidString: "11111111-2222-3333-4444-555555555555")!, slug: "tiny-course", title: "Tiny", aliases: ["Old-Tiny"])
        return KnowledgeContent(
            courses: [CourseContent(course: course, lessons: [
                LessonContent(id: "tiny-course/01-tokens", title: "Tokens", position: 0, markdown: lessonBody),
                LessonContent(id: "tiny-course/02-streams", title: "Streams", position: 1, markdown: "## EventSource\n\nBrowsers reconnect with Last-Event-ID."),
            ])],
            landing: [LessonContent(id: "landing/pricing", title: "Pricing", position: 0, markdown: "## Plans\n\nThe yearly plan costs less per month.")]
        )
    }

    @Test(arguments: kinds) func ingestionIsIdempotentAndReplacesChangedLessons(kind: StoreKind) async throws {
        try await kind.withKnowledgeStore { store in
            let first = try await store.ingest(Self.tinyContent())
            #expect(first.lessonsAdded == 3 && first.chunksWritten == 3)
            let again = try await store.ingest(Self.tinyContent())
            #expect(again.lessonsAdded == 0 && again.lessonsChanged == 0 && again.lessonsUnchanged == 3 && again.chunksWritten == 0)

            let course = UUID(uuidString: "11111111-2222-3333-4444-555555555555")!
            #expect(try await store.search("token word", scope: .course(course), limit: 5).first?.lessonTitle == "Tokens")
            let changed = try await store.ingest(Self.tinyContent(lessonBody: "## Sampling\n\nTemperature controls randomness."))
            #expect(changed.lessonsChanged == 1 && changed.lessonsUnchanged == 2)
            #expect(try await store.search("piece word", scope: .course(course), limit: 5).isEmpty)
            #expect(try await store.search("temperature", scope: .course(course), limit: 5).first?.body == "Temperature controls randomness.")

            var fewer = Self.tinyContent()
            fewer.courses[0].lessons.removeLast()
            #expect(try await store.ingest(fewer).lessonsRemoved == 1)
            #expect(try await store.search("EventSource", scope: .course(course), limit: 5).isEmpty)
        }
    }

    @Test(arguments: kinds) func aCourseResolvesByUUIDSlugOrAlias(kind: StoreKind) async throws {
        try await kind.withKnowledgeStore { store in
            _ = try await store.ingest(try sampleContent())
            for reference in [Self.courseId.uuidString, Self.courseId.uuidString.lowercased(), "ai-native-fullstack-developer", "ai-in-web-development", "AI-In-Web-Development"] {
                #expect(try await store.resolveCourse(reference)?.id == Self.courseId, "\(reference)")
            }
            for unknown in ["nope", UUID().uuidString, "", "ai-native"] {
                #expect(try await store.resolveCourse(unknown) == nil, "\(unknown)")
            }
            // Chunks reference the course UUID: a search by it finds course material, landing pages stay apart.
            let hits = try await store.search("tokens context window", scope: .course(Self.courseId), limit: 3)
            #expect(!hits.isEmpty)
            #expect(hits.allSatisfy { $0.lessonId.hasPrefix("ai-native-fullstack-developer/") })
            #expect(try await store.search("tokens context window", scope: .landing, limit: 3).allSatisfy { $0.lessonId.hasPrefix("landing/") })
        }
    }

    @Test(arguments: kinds) func questionsWithNoMaterialFindNothing(kind: StoreKind) async throws {
        try await kind.withKnowledgeStore { store in
            _ = try await store.ingest(try sampleContent())
            #expect(try await store.search("zebra giraffe marmalade", scope: .course(Self.courseId), limit: 5).isEmpty)
            #expect(try await store.search("?!", scope: .course(Self.courseId), limit: 5).isEmpty)
        }
    }

    /// A set of retrieval questions, each with the lesson or page that answers it, and the bar it
    /// is held to.
    struct QuestionSet: Sendable, CustomTestStringConvertible {
        var file: String
        var hitAtOne: Double
        var hitAtThree: Double
        var testDescription: String { file }

        /// Written from the material, in its words: the quality bar.
        static let worded = QuestionSet(file: "retrieval-questions.tsv", hitAtOne: 0.7, hitAtThree: 0.9)
        /// Asked in a person's own words, avoiding the material's (written before any tuning,
        /// never tuned to): words-only search misses many; the bar is today's, so that it cannot
        /// get worse unnoticed (docs/RETRIEVAL.md has the figures).
        static let paraphrased = QuestionSet(file: "retrieval-questions-paraphrased.tsv", hitAtOne: 0.35, hitAtThree: 0.75)
    }

    /// For each question of a set, the lesson holding the answer ranks first for most and in the
    /// top three for nearly all (by the set's bar).
    @Test(arguments: kinds, [QuestionSet.worded, .paraphrased])
    func retrievalFindsTheLessonThatHoldsTheAnswer(kind: StoreKind, set: QuestionSet) async throws {
        let rows = try RetrievalQuestion.load(set.file)
        #expect(rows.count >= 26)
        let (atOne, atThree, misses) = try await kind.withKnowledgeStore { store in
            _ = try await store.ingest(try sampleContent())
            var atOne = 0
            var atThree = 0
            var misses: [String] = []
            for row in rows {
                let found = try await store.search(row.question, scope: row.scope, limit: 10)
                let position = row.position(in: found)
                if position == 0 { atOne += 1 }
                if let position, position < 3 { atThree += 1 } else { misses.append("\(row.question) → \(found.prefix(3).map(\.lessonTitle))") }
            }
            return (atOne, atThree, misses)
        }
        let total = Double(rows.count)
        print("retrieval (\(kind.rawValue), \(set.file)): \(rows.count) questions, hit@1 \(atOne)/\(rows.count) = \(String(format: "%.2f", Double(atOne) / total)), hit@3 \(atThree)/\(rows.count) = \(String(format: "%.2f", Double(atThree) / total))")
        for miss in misses { print("  miss: \(miss)") }
        #expect(Double(atOne) / total >= set.hitAtOne)
        #expect(Double(atThree) / total >= set.hitAtThree)
    }
}
