import EventLog
import Foundation
import Logging
import PostgresEventLog
import PostgresNIO
import PostgresStore
import ServiceLifecycle
import Spool
import Settings

/// Which event log carries answers from workers to stream replicas, read by both.
public struct EventLogSettings: Sendable {
    public static let kind = Setting(
        "EVENT_LOG", default: "spool",
        "spool (files on a disk every worker and stream replica shares) or postgres (the database carries the events; no shared disk)"
    )
    public static let listenURL = Setting(
        "DATABASE_LISTEN_URL", default: "",
        "a session-mode Postgres URL for LISTEN, where DATABASE_URL goes through a transaction-mode pooler (default: DATABASE_URL)", secret: true
    )
    public static let all = [kind, listenURL]

    public var kind: EventLogKind
    /// Where stream replicas listen (Postgres only).
    public var listen: PostgresURL?
    public var spoolDir: String

    public init(reader: SettingsReader, database: DatabaseLocation) throws {
        let raw = try reader.required(Self.kind)
        guard let kind = EventLogKind(rawValue: raw) else {
            throw SettingsError(Self.kind.name, "must be spool or postgres, got \"\(raw)\"")
        }
        self.kind = kind
        spoolDir = try reader.required(CommonSettings.spoolDir)
        switch (kind, database) {
        case (.spool, _):
            listen = nil
        case (.postgres, .sqlite):
            throw SettingsError(Self.kind.name, "postgres needs DATABASE_URL to name a Postgres database (it names SQLite)")
        case (.postgres, .postgres(let url)):
            let raw = reader.string(Self.listenURL) ?? ""
            if raw.isEmpty {
                listen = url
            } else {
                guard case .postgres(var listenURL)? = try? DatabaseLocation(parsing: raw) else {
                    throw SettingsError(Self.listenURL.name, "must be a postgres://user@host:port/db URL (session mode, not through a transaction pooler)")
                }
                // DATABASE_PASSWORD serves both when neither URL carries one.
                if listenURL.password == nil { listenURL.password = url.password }
                listen = listenURL
            }
        }
    }

    /// The log the worker appends to, ready to use (the spool's folder created).
    public func writingLog(connection: StoreConnection, logger: Logger) throws -> any EventLog {
        switch kind {
        case .spool:
            return try preparedSpool()
        case .postgres:
            guard let client = connection.postgresClient else { throw SettingsError(Self.kind.name, "postgres needs a Postgres DATABASE_URL") }
            return PostgresEventLog(client: client, logger: logger)
        }
    }

    /// What a stream replica reads, and the service that tells it which job's log grew.
    ///
    /// - Parameters:
    ///   - onChange: a job's log grew (or any may have).
    ///   - watchedJobs: the jobs with a browser waiting on this replica.
    ///   - lostAfter: how long the replica may not hear the log before it gives up its streams.
    ///   - onLost: the replica no longer hears the log: end its streams.
    public func readingLog(
        connection: StoreConnection, lostAfter: Duration, logger: Logger,
        onChange: @escaping @Sendable (EventLogChange) -> Void,
        watchedJobs: @escaping @Sendable () -> Set<UUID>,
        onLost: @escaping @Sendable () -> Void
    ) throws -> (reader: any EventLogReader, watcher: any Service) {
        switch kind {
        case .spool:
            let spool = try preparedSpool()
            return (spool, spool.watcher(logger: logger, onChange: onChange))
        case .postgres:
            guard let client = connection.postgresClient, let listen else {
                throw SettingsError(Self.kind.name, "postgres needs a Postgres DATABASE_URL")
            }
            let mirror = PostgresEventMirror(log: PostgresEventLog(client: client, logger: logger), logger: logger, onChange: onChange)
            var configuration = PostgresEventFeed.Configuration()
            configuration.lostAfter = lostAfter
            let feed = PostgresEventFeed(
                connection: try listen.connectionConfiguration(), mirror: mirror, configuration: configuration,
                watchedJobs: watchedJobs, onLost: onLost, logger: logger
            )
            return (mirror, feed)
        }
    }

    private func preparedSpool() throws -> Spool {
        let spool = Spool(directory: spoolDir)
        do {
            try spool.prepare()
        } catch {
            throw SettingsError(CommonSettings.spoolDir.name, "cannot create \(spoolDir): \(error.localizedDescription)")
        }
        return spool
    }
}
