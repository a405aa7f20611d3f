import Foundation
import Logging
import PostgresNIO
import PostgresStore

/// A fresh Postgres database per test, on the server `TEST_DATABASE_URL` names.
///
/// Tests that need Postgres fail, never skip, when it is missing: `scripts/test.sh` starts one.
public enum TestDatabase {
    public struct Missing: Error, CustomStringConvertible {
        var variable = "TEST_DATABASE_URL"

        public var description: String {
            "\(variable) is not set: run the tests with scripts/test.sh, which starts a throwaway Postgres (and one with pgvector)"
        }
    }

    /// Which test server a database is made on.
    public enum Server: Sendable {
        /// Debian's Postgres, as deployments run it (`TEST_DATABASE_URL`).
        case standard
        /// A Postgres with pgvector, for hybrid search (`TEST_PGVECTOR_DATABASE_URL`).
        case pgvector

        var variable: String { self == .standard ? "TEST_DATABASE_URL" : "TEST_PGVECTOR_DATABASE_URL" }
    }

    /// The admin URL of a test server.
    public static func serverURL(_ server: Server = .standard) throws -> PostgresURL {
        guard let raw = ProcessInfo.processInfo.environment[server.variable], let url = PostgresURL(raw) else {
            throw Missing(variable: server.variable)
        }
        return url
    }

    /// Creates an empty database and returns its URL.
    public static func create(on server: Server = .standard) async throws -> String {
        let server = try serverURL(server)
        let name = "tl_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        try await execute("CREATE DATABASE \(name)", on: server)
        let password = server.password.map { ":\($0)" } ?? ""
        return "postgres://\(server.username)\(password)@\(server.host):\(server.port)/\(name)?sslmode=disable"
    }

    /// How many sessions of `client`'s database wait for a lock, once at least one does or after
    /// 10 s: for tests that hold a row and need another statement to be waiting for it.
    public static func lockWaiters(on client: PostgresClient, logger: Logger) async throws -> Int {
        var waiting = 0
        for _ in 0..<200 where waiting == 0 {
            try await Task.sleep(for: .milliseconds(50))
            let rows = try await client.query(
                "SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", logger: logger
            )
            for try await count in rows.decode(Int.self) { waiting = count }
        }
        return waiting
    }

    /// The integers of the first column of a query's rows, on the database `url` names.
    public static func integers(_ sql: String, on url: String) async throws -> [Int] {
        try await withConnection(to: url) { connection in
            var values: [Int] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-db")).decode(Int.self) {
                values.append(value)
            }
            return values
        }
    }

    /// The rows of a query returning an integer and a text column, on the database `url` names.
    public static func rows(_ sql: String, on url: String) async throws -> [(Int, String)] {
        try await withConnection(to: url) { connection in
            var values: [(Int, String)] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-db")).decode((Int, String).self) {
                values.append(row)
            }
            return values
        }
    }

    /// Runs `body` on a connection of its own to the database `url` names, closed afterwards.
    private static func withConnection<T>(to url: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard let target = PostgresURL(url) else { throw Missing() }
        let connection = try await PostgresConnection.connect(
            configuration: try target.connectionConfiguration(), id: 2, logger: Logger(label: "test-db")
        )
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs one statement on the server's admin database.
    public static func execute(_ sql: String, on server: PostgresURL) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try server.connectionConfiguration(), id: 1, logger: Logger(label: "test-db")
        )
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-db"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
