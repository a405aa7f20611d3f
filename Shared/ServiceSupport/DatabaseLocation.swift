import PostgresStore
import Settings

/// Where the store lives, from `DATABASE_URL`.
public enum DatabaseLocation: Sendable {
    case postgres(PostgresURL)
    case sqlite(path: String)

    /// Whether this is the embedded default's kind of store (SQLite).
    public var isEmbedded: Bool {
        if case .sqlite = self { return true }
        return false
    }

    /// Reads `DATABASE_URL`; `password`, when given, is the Postgres password for a URL that
    /// carries none (`DATABASE_PASSWORD`: any characters, nothing to encode).
    public init(parsing url: String, password: String? = nil) throws {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SettingsError("DATABASE_URL", "sqlite: needs a file path, as in sqlite:.tutorline/tutorline.sqlite") }
            self = .sqlite(path: path)
        } else if var postgres = PostgresURL(url) {
            if let password, !password.isEmpty {
                guard postgres.password == nil else {
                    throw SettingsError("DATABASE_PASSWORD", "is set, and DATABASE_URL carries a password too: keep one")
                }
                postgres.password = password
            }
            self = .postgres(postgres)
        } else {
            throw SettingsError(
                "DATABASE_URL",
                "must be postgres://user:pass@host:port/db or sqlite:PATH (percent-encode a password's reserved characters, / as %2F, or leave it out of the URL and set DATABASE_PASSWORD)"
            )
        }
    }
}
