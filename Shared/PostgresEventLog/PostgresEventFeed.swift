import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A stream replica's one listening connection: hands each notification of appended events to
/// the mirror, checks the link every `probeInterval`, and reconnects when it is lost. After a
/// reconnect the mirror reads again every job it serves, so nothing appended meanwhile is lost.
///
/// While the connection is down the streams keep their heartbeats. Down for longer than
/// `lostAfter`, the replica gives up its streams (`onLost`: they end with a short `retry:`) and
/// refuses new ones with 503, so browsers move to a replica that hears the log.
public struct PostgresEventFeed: Service {
    public struct Configuration: Sendable {
        /// How often the link is checked with a query.
        public var probeInterval: Duration = .seconds(2)
        /// How long a check may take before the link counts as lost.
        public var probeTimeout: Duration = .seconds(3)
        /// How long the connection may stay down before streams are handed to other replicas.
        public var lostAfter: Duration = .seconds(10)
        public init() {}
    }

    let connection: PostgresConnection.Configuration
    let mirror: PostgresEventMirror
    let configuration: Configuration
    let watchedJobs: @Sendable () -> Set<UUID>
    let onLost: @Sendable () -> Void
    let logger: Logger

    /// - Parameters:
    ///   - watchedJobs: the jobs with a browser waiting here; the mirror keeps only their logs.
    ///   - onLost: ends every stream (the connection stayed down past `lostAfter`).
    public init(
        connection: PostgresConnection.Configuration, mirror: PostgresEventMirror, configuration: Configuration = .init(),
        watchedJobs: @escaping @Sendable () -> Set<UUID>, onLost: @escaping @Sendable () -> Void, logger: Logger
    ) {
        self.connection = connection
        self.mirror = mirror
        self.configuration = configuration
        self.watchedJobs = watchedJobs
        self.onLost = onLost
        self.logger = logger
    }

    public func run() async throws {
        // Down until the first LISTEN is in place: a replica that never hears the log gives up
        // its streams like one that lost it.
        let down = Outage(since: .now)
        await withDiscardingTaskGroup { group in
            group.addTask { await watchdog(down) }
            await cancelWhenGracefulShutdown { await listenForever(down) }
            group.cancelAll()
        }
    }

    /// Gives up the streams once the connection has been down past the bound.
    private func watchdog(_ down: Outage) async {
        var gaveUp = false
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            guard let since = down.since else {
                // Back: streams are taken again (also undoing a give-up that raced the return).
                if gaveUp { mirror.resynchronize() }
                gaveUp = false
                continue
            }
            if !gaveUp, ContinuousClock.now - since >= configuration.lostAfter {
                gaveUp = true
                logger.error("event log unreachable: ending streams so browsers move to another replica", metadata: ["down": "\(ContinuousClock.now - since)"])
                mirror.setUnavailable()
                onLost()
            }
        }
    }

    private func listenForever(_ down: Outage) async {
        var connectionID = 0
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            connectionID += 1
            let id = connectionID
            do {
                let setup = configuration.probeTimeout + .seconds(2)
                let connection = try await Deadline.run(setup, discard: { connection in Task { try? await connection.close() } }) { [self] in
                    try await PostgresConnection.connect(configuration: self.connection, id: id, logger: logger)
                }
                defer { Task { try? await connection.close() } }
                // LISTEN has the same bound: on a link cut after the connect it would wait for minutes.
                let listening = Outage(since: nil)
                Task {
                    try? await Task.sleep(for: setup)
                    if listening.since == nil { try? await connection.close() }
                }
                try await connection.listen(on: PostgresEventLog.channel) { notifications in
                    listening.begin()
                    if down.end() { logger.notice("event log connection restored") }
                    backoff = .milliseconds(250)
                    // Appends made while no one listened are in the table only.
                    mirror.resynchronize()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for try await notification in notifications { mirror.apply(payload: notification.payload) }
                            throw FeedEnded()
                        }
                        group.addTask { try await probe(connection) }
                        defer { group.cancelAll() }
                        try await group.next()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                down.begin()
                logger.warning("event log connection lost; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
    }

    /// Queries the link every interval, evicting logs nobody waits on; throws once a query fails
    /// or takes too long (a cut link gives no error of its own).
    private func probe(_ connection: PostgresConnection) async throws {
        let logger = logger
        while true {
            try await Task.sleep(for: configuration.probeInterval)
            _ = try await Deadline.run(configuration.probeTimeout) {
                // Read to the end: the query's answer, not only its acceptance.
                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
            }
            mirror.evict(keeping: watchedJobs())
        }
    }

    private struct FeedEnded: Error {}

}

/// Since when something happened (the listening connection went down, LISTEN was in place),
/// nil until then.
private final class Outage: Sendable {
    private let start: Mutex<ContinuousClock.Instant?>

    init(since: ContinuousClock.Instant?) { start = Mutex(since) }

    var since: ContinuousClock.Instant? { start.withLock { $0 } }

    /// Marks the connection down, unless it already was.
    func begin() { start.withLock { $0 = $0 ?? .now } }

    /// Marks it up; returns whether it was down.
    func end() -> Bool { start.withLock { $0.take() } != nil }
}
