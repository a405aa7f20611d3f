import Foundation
import Jobs
import Logging
import PostgresNIO
@testable import PostgresStore
import TestSupport
import Testing

/// Reading conversations back and deleting them, in both stores.
@Suite struct SessionStoreTests {
    /// Asks `question` in `session` and answers it, with a source and a suggestion.
    static func askAndAnswer(_ store: any JobStore, _ question: String, session: UUID, user: String = "u1", course: UUID? = nil) async throws -> UUID {
        let new = NewJob(kind: .tutor, question: question, courseRef: course.map(\.uuidString), courseId: course, lessonId: nil, sessionId: session, userId: user)
        _ = try await store.enqueue(new)
        let job = try #require(try await store.claim(lease: .seconds(30)))
        #expect(job.id == new.id)
        let result = JobResult(
            jobId: new.id, answer: "Answer to \(question)", sessionId: session, nextSuggestions: ["Next?"], sources: [JobSource(lessonTitle: "Lesson", chunkId: "c1")]
        )
        #expect(try await store.complete(jobId: new.id, leaseToken: try #require(job.leaseToken), result: result, terminalEventId: 3))
        return new.id
    }

    @Test(arguments: StoreKind.allCases) func aUsersConversationsComeNewestFirstAPageAtATime(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let course = UUID()
            let other = UUID()
            var sessions: [UUID] = []
            for index in 0..<5 {
                let session = UUID()
                sessions.append(session)
                _ = try await Self.askAndAnswer(store, "Question \(index)", session: session, course: index == 4 ? other : course)
                try await Task.sleep(for: .milliseconds(5))
            }
            // The oldest conversation gets a new question: it is the newest now, titled by its first.
            _ = try await Self.askAndAnswer(store, "Question 0, again", session: sessions[0], course: course)
            _ = try await Self.askAndAnswer(store, "Someone else's", session: UUID(), user: "u2", course: course)

            let all = try await store.sessions(userId: "u1", kind: .tutor, courseId: nil, after: nil, limit: 10)
            #expect(all.map(\.id) == [sessions[0], sessions[4], sessions[3], sessions[2], sessions[1]])
            #expect(all.first?.title == "Question 0" && all.first.map { $0.lastActivity > $0.createdAt } == true)

            // Pages of two, each after the last one's cursor (through its encoded form, as clients carry it).
            var paged: [UUID] = []
            var cursor: SessionCursor?
            for _ in 0..<5 {
                let page = try await store.sessions(userId: "u1", kind: .tutor, courseId: course, after: cursor, limit: 2)
                paged += page.map(\.id)
                guard page.count == 2, let last = page.last else { break }
                cursor = SessionCursor(encoded: last.cursor.encoded)
                #expect(cursor == last.cursor, "the encoded cursor reads back as it was")
            }
            #expect(paged == [sessions[0], sessions[3], sessions[2], sessions[1]], "the other course's conversation is left out")
            #expect(try await store.sessions(userId: "u1", kind: .landing, courseId: nil, after: nil, limit: 10).isEmpty)
            #expect(SessionCursor(encoded: "not a cursor") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func aConversationReadsBackWithSourcesAndItsRunningJob(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let session = UUID()
            let first = try await Self.askAndAnswer(store, "First?", session: session)
            let running = NewJob(kind: .tutor, question: "Second?", courseRef: nil, lessonId: nil, sessionId: session, userId: "u1")
            _ = try await store.enqueue(running)

            let record = try #require(try await store.session(id: session))
            #expect(record.userId == "u1" && record.kind == .tutor)
            #expect(record.messages.map(\.content) == ["First?", "Answer to First?"])
            #expect(record.messages.map(\.role) == [.user, .assistant])
            #expect(record.messages.allSatisfy { $0.jobId == first && !$0.stopped })
            #expect(record.messages[1].sources == [JobSource(lessonTitle: "Lesson", chunkId: "c1")] && record.messages[1].nextSuggestions == ["Next?"])
            #expect(record.messages[0].sources.isEmpty)
            #expect(record.running.map(\.id) == [running.id])
            #expect(try await store.session(id: UUID()) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func deletingAConversationRemovesItsMessagesAndJobs(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let session = UUID()
            let kept = UUID()
            let answered = try await Self.askAndAnswer(store, "Forget me", session: session)
            let keptJob = try await Self.askAndAnswer(store, "Keep me", session: kept)
            let running = NewJob(kind: .tutor, question: "Still going", courseRef: nil, lessonId: nil, sessionId: session, userId: "u1")
            _ = try await store.enqueue(running)
            let claimed = try #require(try await store.claim(lease: .seconds(30)))

            let deleted = try #require(try await store.deleteSession(id: session))
            #expect(Set(deleted) == [answered, running.id])
            #expect(try await store.session(id: session) == nil)
            #expect(try await store.jobs(ids: [answered, running.id]).isEmpty)
            #expect(try await store.history(sessionId: session, limit: 10).isEmpty)
            #expect(try await store.sessions(userId: "u1", kind: .tutor, courseId: nil, after: nil, limit: 10).map(\.id) == [kept])
            // The running job's worker finds it gone, and may record nothing more.
            #expect(try await store.cancelRequested(among: [claimed.id, keptJob]) == [claimed.id])
            #expect(try await store.stop(jobId: claimed.id, leaseToken: try #require(claimed.leaseToken), answer: "x", terminalEventId: 2) == false)
            #expect(try await store.deleteSession(id: session) == nil)
            #expect(try await store.job(id: keptJob)?.status == .completed)
            // The id may start a new conversation afterwards.
            _ = try await store.enqueue(NewJob(kind: .tutor, question: "Anew", courseRef: nil, lessonId: nil, sessionId: session, userId: "u1"))
        }
    }

    /// Postgres only: SQLite writes one transaction at a time, so there the two cannot interleave.
    @Test func aQuestionAddedAsItsConversationIsDeletedGoesWithIt() async throws {
        try await withPostgresClient { client in
            let logger = Logger(label: "test")
            let store = PostgresJobStore(client: client, logger: logger)
            try await store.migrate()
            let session = UUID()
            let first = try await Self.askAndAnswer(store, "First?", session: session)
            let late = UUID()
            // A question being added, by enqueue's own statement, in a transaction held open: the
            // conversation's row is locked until it commits.
            let deletion = try await client.withTransaction(logger: logger) { connection in
                var values = PostgresBindings()
                values.append(late)
                values.append(AssistantKind.tutor.rawValue)
                values.append("Late?")
                values.append(String?.none)
                values.append(UUID?.none)
                values.append(String?.none)
                values.append(session)
                values.append("u1")
                values.append(String?.none)
                values.append(3)
                let added = try await connection.query(PostgresQuery(unsafeSQL: EnqueueSQL.text, binds: values), logger: logger)
                var rows = 0
                for try await _ in added { rows += 1 }
                #expect(rows == 1, "the question went into the conversation")
                let deletion = Task { try await store.deleteSession(id: session) }
                // Commit only once the deletion waits for the row.
                let waiting = try await TestDatabase.lockWaiters(on: client, logger: logger)
                #expect(waiting == 1, "the deletion waits for the question being added")
                return deletion
            }
            let deleted = try #require(try await deletion.value)
            #expect(Set(deleted) == [first, late])
            #expect(try await store.job(id: late) == nil, "no job outlives its conversation")
        }
    }
}
