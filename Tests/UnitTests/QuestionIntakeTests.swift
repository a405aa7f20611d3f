import Foundation
import Jobs
import Knowledge
import Questions
import TestSupport
import Testing

/// Asking a question, without a server: the embedded store and the repository's sample content.
@Suite struct QuestionIntakeTests {
    static func withIntake(_ body: @Sendable (QuestionIntake, any JobStore) async throws -> Void) async throws {
        try await StoreKind.sqlite.withKnowledgeStore { knowledge in
            _ = try await knowledge.ingest(try sampleContent())
            try await StoreKind.sqlite.withStore { store in
                try await body(QuestionIntake(store: store, knowledge: knowledge, maxAttempts: 3), store)
            }
        }
    }

    static func code(_ work: () async throws -> Void) async -> QuestionError.Code? {
        do {
            try await work()
            return nil
        } catch let error as QuestionError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test func aTutorQuestionNamesItsCourseByAnyOfItsNames() async throws {
        try await Self.withIntake { intake, store in
            let asker = QuestionIntake.Asker(kind: .tutor, userId: "alice")
            let bySlug = try await intake.accept(QuestionForm(question: "  What is a token?\n", courseId: "ai-native-fullstack-developer", lessonId: "l1"), from: asker, idempotencyKey: nil)
            #expect(bySlug.created && bySlug.job.question == "What is a token?", "trimmed")
            let courseId = try #require(bySlug.job.courseId)
            let byId = try await intake.accept(QuestionForm(question: "And again?", courseId: courseId.uuidString), from: asker, idempotencyKey: nil)
            #expect(byId.job.courseId == courseId && byId.job.lessonId == nil)
            #expect(try await store.job(id: bySlug.job.id)?.lessonId == "l1")
            #expect(await Self.code { _ = try await intake.accept(QuestionForm(question: "Which?"), from: asker, idempotencyKey: nil) } == .missingCourse)
            #expect(await Self.code { _ = try await intake.accept(QuestionForm(question: "Which?", courseId: "no-such-course"), from: asker, idempotencyKey: nil) } == .courseNotFound)
        }
    }

    @Test func theFormIsCheckedBeforeAnythingIsStored() async throws {
        try await Self.withIntake { intake, store in
            let guide = QuestionIntake.Asker(kind: .landing, userId: "anonymous", keyScope: "10.0.0.1")
            let cases: [(QuestionForm, String?, QuestionError.Code)] = [
                (QuestionForm(question: " \u{0}\n "), nil, .emptyQuestion),
                (QuestionForm(question: String(repeating: "a", count: QuestionForm.maximumQuestionLength + 1)), nil, .questionTooLong),
                (QuestionForm(question: "Fine?", sessionId: "00000000-0000-0000-0000-000000000000"), nil, .invalidSessionId),
                (QuestionForm(question: "Fine?", sessionId: "not-a-uuid"), nil, .invalidSessionId),
                (QuestionForm(question: "Fine?", lessonId: String(repeating: "l", count: 201)), nil, .invalidField),
                (QuestionForm(question: "Fine?"), "", .invalidIdempotencyKey),
                (QuestionForm(question: "Fine?"), "with space", .invalidIdempotencyKey),
            ]
            for (form, key, expected) in cases {
                #expect(await Self.code { _ = try await intake.accept(form, from: guide, idempotencyKey: key) } == expected)
            }
            let stored = try await store.queueStatistics().counts.values.reduce(0, +)
            #expect(stored == 0, "nothing stored")
        }
    }

    @Test func anIdempotencyKeyIsScopedToItsAsker() async throws {
        try await Self.withIntake { intake, _ in
            let one = QuestionIntake.Asker(kind: .landing, userId: "anonymous", keyScope: "10.0.0.1")
            let other = QuestionIntake.Asker(kind: .landing, userId: "anonymous", keyScope: "10.0.0.2")
            let first = try await intake.accept(QuestionForm(question: "Once?"), from: one, idempotencyKey: "k-1")
            let replay = try await intake.accept(QuestionForm(question: "Once?"), from: one, idempotencyKey: "k-1")
            #expect(first.created && !replay.created && replay.job.id == first.job.id)
            let elsewhere = try await intake.accept(QuestionForm(question: "Once?"), from: other, idempotencyKey: "k-1")
            #expect(elsewhere.created && elsewhere.job.id != first.job.id, "another visitor's key is another key")
            #expect(await Self.code { _ = try await intake.accept(QuestionForm(question: "Twice?"), from: one, idempotencyKey: "k-1") } == .idempotencyKeyReused)
            // A conversation belongs to its first asker.
            let session = first.job.sessionId.uuidString
            let tutor = QuestionIntake.Asker(kind: .tutor, userId: "bob")
            #expect(await Self.code {
                _ = try await intake.accept(QuestionForm(question: "Mine?", courseId: "ai-native-fullstack-developer", sessionId: session), from: tutor, idempotencyKey: nil)
            } == .sessionNotYours)
        }
    }
}
