import Foundation
import Jobs
import Logging
import PostgresNIO
import PostgresStore
import TestSupport
import Testing

/// Postgres only: a stop racing the answer's completion (SQLite's writes take turns as a whole).
@Suite struct PostgresStopRaceTests {
    @Test func aStopThatLosesTheRaceToCompletionSaysTheJobEnded() async throws {
        try await withPostgresClient { client in
            let logger = Logger(label: "test")
            let store = PostgresJobStore(client: client, logger: logger)
            try await store.migrate()
            let job = StopStoreTests.newJob("Racing?")
            _ = try await store.enqueue(job)
            _ = try #require(try await store.claim(lease: .seconds(30)))
            // The worker completes the job in a transaction held open while the stop is asked:
            // the stop's update waits for the row, then finds the job already completed.
            let stop = try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("UPDATE jobs SET status = 'COMPLETED', updated_at = now() WHERE id = \(job.id)", logger: logger)
                let stop = Task { try await store.requestCancel(jobId: job.id) }
                let waiting = try await TestDatabase.lockWaiters(on: client, logger: logger)
                #expect(waiting == 1, "the stop waits for the completing transaction")
                return stop
            }
            let answered = try #require(try await stop.value)
            #expect(answered.status == .completed, "not PROCESSING, as the stop's snapshot had it: the gateway answers 200, not 202")
            #expect(!answered.cancelRequested)
        }
    }
}
