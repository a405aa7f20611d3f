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
            let url = try require(PostgresURL(try await TestDatabase.create()), "bad test database URL")
            let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 8), backgroundLogger: Logger(label: "test"))
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    await client.run()
                    return nil
                }
                defer { group.cancelAll() }
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

/// The repository's sample content, loaded.
public func sampleContent() throws -> KnowledgeContent {
    try ContentLoader().load(directory: TestSystem.contentDirectory)
}
