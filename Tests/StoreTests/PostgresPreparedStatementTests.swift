import Foundation
import Jobs
import Logging
import PostgresNIO
import PostgresStore
import TestSupport
import Testing

/// Postgres only: the per-job statements are prepared once per connection, and postgres-nio keeps
/// a refused preparation for the connection's life.
@Suite struct PostgresPreparedStatementTests {
    @Test func aStatementRefusedBeforeTheMigrationWorksOnceTheTablesExist() async throws {
        let url = try #require(PostgresURL(try await TestDatabase.create()))
        // One connection, so the second claim runs where the first was refused.
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 1), backgroundLogger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = PostgresJobStore(client: client, logger: Logger(label: "test"))
            // A worker started before the gateway migrated: the claim's table does not exist yet.
            await #expect(throws: (any Error).self) { try await store.claim(lease: .seconds(30)) }
            try await store.migrate()
            #expect(try await store.claim(lease: .seconds(30)) == nil)
            let accepted = try await store.enqueue(NewJob(kind: .landing, question: "Now?", userId: "anonymous")).job
            #expect(try await store.claim(lease: .seconds(30))?.id == accepted.id)
        }
    }
}
