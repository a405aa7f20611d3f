import Foundation
import Jobs
import Logging
import PostgresNIO
import PostgresStore
import SQLiteStore

/// The stores every store behaviour is tested against, each on a fresh database.
public enum StoreKind: String, Sendable, CaseIterable {
    case postgres
    case sqlite

    public var testDescription: String { rawValue }

    /// Runs `body` with a migrated, empty store of this kind.
    public func withStore<T: Sendable>(_ body: @Sendable (any JobStore) async throws -> T) async throws -> T {
        switch self {
        case .postgres:
            return try await withPostgresClient { client in
                let store = PostgresJobStore(client: client, logger: Logger(label: "test"))
                try await store.migrate()
                return try await body(store)
            }
        case .sqlite:
            let database = try SQLiteDatabase(path: NSTemporaryDirectory() + "tutorline-test-\(UUID().uuidString).sqlite")
            try await database.migrate()
            return try await body(SQLiteJobStore(database: database))
        }
    }
}

/// Runs `body` with a client of a fresh test database, running while `body` runs; `url` names it.
public func withPostgresClient<T: Sendable>(_ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
    try await withPostgresClient { client, _ in try await body(client) }
}

/// The same, with the database's URL.
public func withPostgresClient<T: Sendable>(_ body: @Sendable (PostgresClient, PostgresURL) async throws -> T) async throws -> T {
    try await withPostgresClient(url: try await TestDatabase.create(), body)
}

/// Runs `body` with a client of the database `url` names, running while `body` runs.
public func withPostgresClient<T: Sendable>(
    url raw: String, maximumConnections: Int = 16, _ body: @Sendable (PostgresClient, PostgresURL) async throws -> T
) async throws -> T {
    let url = try require(PostgresURL(raw), "bad database URL")
    let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: Logger(label: "test"))
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(client, url)
    }
}

/// `#require` for fixtures outside a test body.
func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { throw FixtureError(message: message) }
    return value
}

struct FixtureError: Error {
    var message: String
}
