import Foundation
import Jobs
import Knowledge
import Logging
import PostgresNIO
import PostgresStore
import SQLiteStore
import ServiceLifecycle
import Synchronization
import Settings

/// The store a service talks to, with the long-running parts it needs run.
public struct StoreConnection: Sendable {
    public var store: any JobStore
    public var knowledge: any KnowledgeStore
    /// Services to run beside the application (the Postgres pool).
    public var services: [any Service]
    /// Applies the schema, once the store is ready for statements.
    public var migrate: @Sendable () async throws -> Void
    /// Returns once the store takes statements (the Postgres pool runs); at once with SQLite.
    public var ready: @Sendable () async -> Void
    /// Starts wake-up delivery for workers: rings their doorbells when new jobs arrive and when a
    /// running job is asked to stop.
    public var makeJobListener: @Sendable (WorkerDoorbells) throws -> (any Service)?
    /// How often an idle worker polls: the backstop with Postgres notifications, the only wake-up
    /// with SQLite (which has no notifications), so shorter there.
    public var pollInterval: Duration
    /// The Postgres pool, for what else lives in the database (the Postgres event log).
    public var postgresClient: PostgresClient?

    /// Connects to the store `DATABASE_URL` names.
    public static func open(_ location: DatabaseLocation, maximumConnections: Int = 20, logger: Logger) throws -> StoreConnection {
        switch location {
        case .postgres(let url):
            let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
            let store = PostgresJobStore(client: client, logger: logger)
            let start = PoolStart()
            return StoreConnection(
                store: store,
                knowledge: PostgresKnowledgeStore(client: client, logger: logger),
                services: [PostgresClientService(client: client, start: start)],
                // The first statements at start wait for the pool to run rather than have
                // postgres-nio warn that it was leased from before `run()`.
                migrate: {
                    await start.wait()
                    try await store.migrate()
                },
                ready: { await start.wait() },
                makeJobListener: { doorbells in
                    PostgresJobListener(configuration: try url.connectionConfiguration(), doorbells: doorbells, logger: logger)
                },
                pollInterval: .seconds(1),
                postgresClient: client
            )
        case .sqlite(let path):
            let database: SQLiteDatabase
            do {
                database = try SQLiteDatabase(path: path)
            } catch {
                throw SettingsError("DATABASE_URL", "cannot open the SQLite database \(path): \(error)")
            }
            return StoreConnection(
                store: SQLiteJobStore(database: database),
                knowledge: SQLiteKnowledgeStore(database: database),
                services: [],
                migrate: { try await database.migrate() },
                ready: {},
                makeJobListener: { doorbells in SQLiteJobListener.watcher(databasePath: path, doorbells: doorbells, logger: logger) },
                pollInterval: .milliseconds(250),
                postgresClient: nil
            )
        }
    }
}

extension StoreConnection {
    /// `services`, each started once the store takes statements: those that query at once (a
    /// metrics reporter, a worker's first claim) would otherwise race the pool's start.
    public func afterReady(_ services: [any Service]) -> [any Service] {
        services.map { StartsWhenReady(service: $0, ready: ready) }
    }

    /// Runs the connection's services just long enough for `body` (one-shot commands).
    public static func runWhileConnected(_ connection: StoreConnection, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in connection.services {
                group.addTask { try await service.run() }
            }
            defer { group.cancelAll() }
            try await body()
        }
    }
}
