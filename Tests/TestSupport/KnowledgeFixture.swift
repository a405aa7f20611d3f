import Foundation
import Knowledge
import Logging
import PostgresNIO
import PostgresStore
import SQLiteStore

extension StoreKind {
    /// Runs `body` with a migrated, empty knowledge store of this kind.
    public func withKnowledgeStore<T: Sendable>(_ body: @Sendable (any KnowledgeStore) async throws -> T) async throws -> T {
        switch self {
        case .postgres:
            return try await withPostgresClient { client in
                try await PostgresJobStore(client: client, logger: Logger(label: "test")).migrate()
                return try await body(PostgresKnowledgeStore(client: client, logger: Logger(label: "test")))
            }
        case .sqlite:
            let database = try SQLiteDatabase(path: NSTemporaryDirectory() + "tutorline-test-\(UUID().uuidString).sqlite")
            try await database.migrate()
            return try await body(SQLiteKnowledgeStore(database: database))
        }
    }
}

extension StoreKind {
    /// Runs `body` with a migrated, empty knowledge store of this kind that can hold vectors:
    /// Postgres on the test server with pgvector.
    public func withVectorKnowledgeStore<T: Sendable>(_ body: @Sendable (any KnowledgeStore) async throws -> T) async throws -> T {
        guard self == .postgres else { return try await withKnowledgeStore(body) }
        return try await withPostgresClient(url: try await TestDatabase.create(on: .pgvector)) { client, _ in
            try await PostgresJobStore(client: client, logger: Logger(label: "test")).migrate()
            return try await body(PostgresKnowledgeStore(client: client, logger: Logger(label: "test")))
        }
    }
}

/// The repository's sample content, loaded.
public func sampleContent() throws -> KnowledgeContent {
    try ContentLoader().load(directory: TestSystem.contentDirectory)
}
