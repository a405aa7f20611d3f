import Foundation
import GRDB
import Knowledge

/// The ``KnowledgeStore`` on SQLite: FTS5 (porter stemming) over chunk headings and bodies,
/// ranked with bm25, headings weighted ten times the body.
public struct SQLiteKnowledgeStore: KnowledgeStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func resolveCourse(_ reference: String) async throws -> Course? {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty else { return nil }
        let asId = UUID(uuidString: reference).map { $0.uuidString.lowercased() } ?? ""
        return try await database.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT id, slug, title FROM courses
                    WHERE id = ? OR slug = ? OR id = (SELECT course_id FROM course_aliases WHERE alias = ?)
                    LIMIT 1
                    """,
                arguments: [asId, reference.lowercased(), reference.lowercased()]
            )
            return row.flatMap { row in
                UUID(uuidString: row["id"]).map { Course(id: $0, slug: row["slug"], title: row["title"]) }
            }
        }
    }

    public func ingest(_ content: KnowledgeContent) async throws -> IngestReport {
        try await database.write { db in
            var report = IngestReport()
            for course in content.courses {
                let id = course.course.id.uuidString.lowercased()
                try db.execute(
                    sql: "INSERT INTO courses (id, slug, title) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, title = excluded.title",
                    arguments: [id, course.course.slug, course.course.title]
                )
                try db.execute(sql: "DELETE FROM course_aliases WHERE course_id = ?", arguments: [id])
                for alias in course.course.aliases {
                    try db.execute(
                        sql: "INSERT INTO course_aliases (alias, course_id) VALUES (?, ?) ON CONFLICT (alias) DO UPDATE SET course_id = excluded.course_id",
                        arguments: [alias.lowercased(), id]
                    )
                }
                report.courses += 1
                try Self.replaceLessons(db, course.lessons, scope: .course(course.course.id), report: &report)
            }
            if !content.landing.isEmpty {
                try Self.replaceLessons(db, content.landing, scope: .landing, report: &report)
            }
            return report
        }
    }

    static func replaceLessons(_ db: Database, _ lessons: [LessonContent], scope: KnowledgeScope, report: inout IngestReport) throws {
        var stored: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, content_hash FROM lessons WHERE scope = ?", arguments: [scope.key]) {
            stored[row["id"]] = row["content_hash"]
        }
        let plan = IngestPlan(lessons: lessons, stored: stored, report: &report)
        for lesson in plan.toWrite {
            let hash = lesson.contentHash
            try db.execute(
                sql: """
                    INSERT INTO lessons (id, scope, title, position, content_hash) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, title = excluded.title,
                        position = excluded.position, content_hash = excluded.content_hash
                    """,
                arguments: [lesson.id, scope.key, lesson.title, lesson.position, hash]
            )
            try deleteChunks(db, lesson: lesson.id)
            for chunk in lesson.chunks {
                try db.execute(
                    sql: "INSERT INTO chunks (id, lesson_id, scope, position, heading, body, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [chunk.id, lesson.id, scope.key, chunk.position, chunk.heading, chunk.body, chunk.contentHash]
                )
                try db.execute(
                    sql: "INSERT INTO chunks_search (heading, body, chunk_id, scope) VALUES (?, ?, ?, ?)",
                    arguments: [chunk.heading, chunk.body, chunk.id, scope.key]
                )
                report.chunksWritten += 1
            }
        }
        for id in plan.toRemove {
            try deleteChunks(db, lesson: id)
            try db.execute(sql: "DELETE FROM lessons WHERE id = ?", arguments: [id])
        }
    }

    static func deleteChunks(_ db: Database, lesson: String) throws {
        try db.execute(sql: "DELETE FROM chunks_search WHERE chunk_id IN (SELECT id FROM chunks WHERE lesson_id = ?)", arguments: [lesson])
        try db.execute(sql: "DELETE FROM chunks WHERE lesson_id = ?", arguments: [lesson])
    }

    public func search(_ question: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        // Any of the question's words may match; FTS5 has no stop words, so the commonest are dropped
        // here, and every term is quoted so that no word is read as query syntax.
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
            .filter { $0.count > 1 && !Sentences.isStopWord($0) }
        guard !words.isEmpty else { return [] }
        let match = Array(Set(words)).sorted().map { "\"\($0)\"" }.joined(separator: " OR ")
        return try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.lesson_id, l.title, c.heading, c.body, bm25(chunks_search, 10.0, 1.0) AS rank
                    FROM chunks_search s JOIN chunks c ON c.id = s.chunk_id JOIN lessons l ON l.id = c.lesson_id
                    WHERE chunks_search MATCH ? AND s.scope = ?
                    ORDER BY rank, c.position
                    LIMIT ?
                    """,
                arguments: [match, scope.key, limit]
            ).map { row in
                // bm25 is lower for better matches; report it so that higher is better, as elsewhere.
                RetrievedChunk(
                    chunkId: row["id"], lessonId: row["lesson_id"], lessonTitle: row["title"],
                    heading: row["heading"], body: row["body"], rank: -(row["rank"] as Double)
                )
            }
        }
    }
}
