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
        let down = Outage()
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
                let connection = try await withDeadline(configuration.probeTimeout + .seconds(2)) { [self] in
                    try await PostgresConnection.connect(configuration: self.connection, id: id, logger: logger)
                }
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: PostgresEventLog.channel) { notifications in
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
            _ = try await withDeadline(configuration.probeTimeout) {
                try await connection.query("SELECT 1", logger: logger)
            }
            mirror.evict(keeping: watchedJobs())
        }
    }

    private struct FeedEnded: Error {}
    private struct DeadlinePassed: Error {}

    /// Runs `operation`, giving up on it after `limit`. Unstructured on purpose: a query on a cut
    /// link does not end when cancelled; it ends with its connection, closed by the caller.
    private func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = ResumeOnce<T>()
        return try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            let work = Task {
                do {
                    once.resume(with: .success(try await operation()))
                } catch {
                    once.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.resume(with: .failure(DeadlinePassed())) { work.cancel() }
            }
        }
    }
}

/// Since when the listening connection has been down, nil while it is up.
private final class Outage: Sendable {
    private let start = Mutex<ContinuousClock.Instant?>(nil)

    var since: ContinuousClock.Instant? { start.withLock { $0 } }

    /// Marks the connection down, unless it already was.
    func begin() { start.withLock { $0 = $0 ?? .now } }

    /// Marks it up; returns whether it was down.
    func end() -> Bool { start.withLock { $0.take() } != nil }
}

/// A continuation resumed by whichever comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) { self.continuation.withLock { $0 = continuation } }

    /// Resumes with `result` unless already resumed; returns whether this call did.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
