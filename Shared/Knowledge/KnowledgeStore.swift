import Foundation

/// Courses, lessons and their searchable chunks.
public protocol KnowledgeStore: Sendable {
    /// The course a client named by UUID, slug or legacy alias; `nil` when there is none.
    func resolveCourse(_ reference: String) async throws -> Course?

    /// Loads content idempotently: unchanged lessons are left alone, changed ones have their chunks
    /// replaced, lessons no longer present are removed.
    func ingest(_ content: KnowledgeContent) async throws -> IngestReport

    /// The best-ranked chunks for a question within a scope.
    func search(_ question: String, scope: KnowledgeScope, limit: Int) async throws -> [RetrievedChunk]
}
