import Foundation
import Knowledge
import Logging
import PostgresNIO

/// The ``KnowledgeStore`` on Postgres: full-text search over chunks (a generated, weighted
/// `tsvector` with a GIN index), ranked with `ts_rank_cd`.
public struct PostgresKnowledgeStore: KnowledgeStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func resolveCourse(_ reference: String) async throws -> Course? {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        guard !reference.isEmpty else { return nil }
        let asUUID = UUID(uuidString: reference)
        return try await PostgresOperation.run { try await resolve(reference, asUUID: asUUID) }
    }

    private func resolve(_ reference: String, asUUID: UUID?) async throws -> Course? {
        let rows = try await client.query(
            """
            SELECT c.id, c.slug, c.title FROM courses c
            WHERE c.id = \(asUUID) OR c.slug = \(reference.lowercased())
               OR c.id = (SELECT course_id FROM course_aliases WHERE alias = \(reference.lowercased()))
            LIMIT 1
            """,
            logger: logger
        )
        for try await (id, slug, title) in rows.decode((UUID, String, String).self) {
            return Course(id: id, slug: slug, title: title)
        }
        return nil
    }

    public func ingest(_ content: KnowledgeContent) async throws -> IngestReport {
        var report = IngestReport()
        for course in content.courses {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO courses (id, slug, title) VALUES (\(course.course.id), \(course.course.slug), \(course.course.title))
                    ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, title = EXCLUDED.title
                    """,
                    logger: logger
                )
                try await connection.query("DELETE FROM course_aliases WHERE course_id = \(course.course.id)", logger: logger)
                for alias in course.course.aliases {
                    try await connection.query(
                        """
                        INSERT INTO course_aliases (alias, course_id) VALUES (\(alias.lowercased()), \(course.course.id))
                        ON CONFLICT (alias) DO UPDATE SET course_id = EXCLUDED.course_id
                        """,
                        logger: logger
                    )
                }
            }
            report.courses += 1
            try await replaceLessons(course.lessons, scope: .course(course.course.id), report: &report)
        }
        if !content.landing.isEmpty {
            try await replaceLessons(content.landing, scope: .landing, report: &report)
        }
        return report
    }

    /// Brings one scope's lessons in line with `lessons`, each changed lesson in its own transaction.
    private func replaceLessons(_ lessons: [LessonContent], scope: KnowledgeScope, report: inout IngestReport) async throws {
        var stored: [String: String] = [:]
        let rows = try await client.query("SELECT id, content_hash FROM lessons WHERE scope = \(scope.key)", logger: logger)
        for try await (id, hash) in rows.decode((String, String).self) { stored[id] = hash }

        let plan = IngestPlan(lessons: lessons, stored: stored, report: &report)
        for lesson in plan.toWrite {
            let hash = lesson.contentHash
            let chunks = lesson.chunks
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO lessons (id, scope, title, position, content_hash)
                    VALUES (\(lesson.id), \(scope.key), \(lesson.title), \(lesson.position), \(hash))
                    ON CONFLICT (id) DO UPDATE SET scope = EXCLUDED.scope, title = EXCLUDED.title,
                        position = EXCLUDED.position, content_hash = EXCLUDED.content_hash
                    """,
                    logger: logger
                )
                try await connection.query("DELETE FROM chunks WHERE lesson_id = \(lesson.id)", logger: logger)
                for chunk in chunks {
                    try await connection.query(
                        """
                        INSERT INTO chunks (id, lesson_id, scope, position, heading, body, content_hash)
                        VALUES (\(chunk.id), \(lesson.id), \(scope.key), \(chunk.position), \(chunk.heading), \(chunk.body), \(chunk.contentHash))
                        """,
                        logger: logger
                    )
                }
            }
            report.chunksWritten += chunks.count
        }
        for id in plan.toRemove {
            try await client.query("DELETE FROM lessons WHERE id = \(id)", logger: logger)
        }
    }

    public func search(_ question: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        // Any of the question's words may match (a question is not a conjunction of keywords);
        // ranking rewards chunks that hold more of them, the rarer ones most, and in headings.
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { $0.count > 1 && $0 != "or" }
        guard !words.isEmpty else { return [] }
        let query = words.joined(separator: " or ")
        return try await PostgresOperation.run { try await search(query: query, scope: scope, limit: limit) }
    }

    private func search(query: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk] {
        var values = PostgresBindings()
        values.append(query)
        values.append(scope.key)
        values.append(limit)
        var chunks: [RetrievedChunk] = []
        for row in try await client.rows(of: PreparedQuery<SearchSQL>(values), logger: logger) {
            let (id, lessonId, title, heading, body, rank) = try row.decode((String, String, String, String, String, Double).self)
            chunks.append(RetrievedChunk(chunkId: id, lessonId: lessonId, lessonTitle: title, heading: heading, body: body, rank: rank))
        }
        return chunks
    }
}

/// The chunks that answer a question best. $1 the `websearch_to_tsquery` text, $2 scope, $3 how many.
///
/// Ranked as BM25 ranks (and SQLite's FTS5 does): each of the question's terms counts by how rare
/// it is among the scope's chunks (its inverse document frequency), times how strongly the chunk
/// holds it (`ts_rank`: how often, headings weighing more; chunks are at most 900 characters, so
/// no length normalisation). Without the rarity, the common words of a question ("course", "use")
/// outweighed the one word that names its subject. Chosen on the worded question set
/// (docs/RETRIEVAL.md), never on the paraphrased one.
///
/// One pass over the (term, chunk) matches: a term's document count is a window count over its
/// matches, the scope's size one uncorrelated sub-select. Counting each term's documents in a
/// lateral sub-query of its own cost twice as much (the planner ran the counts once per match).
enum SearchSQL: PreparedSQL {
    static let text = """
        WITH terms AS (
            -- At most 32 terms: each costs an index lookup, and a question may be 4,000 characters.
            SELECT DISTINCT plainto_tsquery('simple', t.lexeme) AS q
            FROM (SELECT lexeme FROM unnest(to_tsvector('english', $1::text)) LIMIT 32) AS t
        ), matched AS (
            SELECT c.id, ts_rank(c.search, terms.q, 0) AS strength, count(*) OVER (PARTITION BY terms.q)::float8 AS df
            FROM chunks c JOIN terms ON c.search @@ terms.q
            WHERE c.scope = $2::text
        ), scored AS (
            SELECT m.id, sum(ln(1 + ((SELECT count(*) FROM chunks WHERE scope = $2::text) - m.df + 0.5) / (m.df + 0.5)) * m.strength)::float8 AS rank
            FROM matched m
            GROUP BY m.id
        )
        SELECT c.id, c.lesson_id, l.title, c.heading, c.body, s.rank
        FROM scored s JOIN chunks c ON c.id = s.id JOIN lessons l ON l.id = c.lesson_id
        ORDER BY s.rank DESC, c.position, c.id
        LIMIT $3::int8
        """
}
