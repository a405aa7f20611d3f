import PostgresStore

/// Where the store lives, from `DATABASE_URL`.
public enum DatabaseLocation: Sendable {
    case postgres(PostgresURL)
    case sqlite(path: String)

    /// Whether this is the embedded default's kind of store (SQLite).
    public var isEmbedded: Bool {
        if case .sqlite = self { return true }
        return false
    }

    public init(parsing url: String) throws {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SettingsError("DATABASE_URL", "sqlite: needs a file path, as in sqlite:.tutorline/tutorline.sqlite") }
            self = .sqlite(path: path)
        } else if let postgres = PostgresURL(url) {
            self = .postgres(postgres)
        } else {
            throw SettingsError("DATABASE_URL", "must be postgres://user:pass@host:port/db or sqlite:PATH")
        }
    }
}
