/// Which searches a retrieval runs.
public enum RetrievalMode: String, Sendable, CaseIterable {
    /// Words only: Postgres full-text search or SQLite FTS5.
    case fullText = "full_text"
    /// Meaning only: the chunks whose vectors are closest to the question's.
    case vector
    /// Both, their rankings fused (``RankFusion``).
    case hybrid
}
