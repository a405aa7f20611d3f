import Jobs
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps one connection listening on ``PostgresJobStore/notificationChannel`` and
/// ``PostgresJobStore/cancellationChannel``, and rings the worker's doorbell for every new job and
/// its cancellation bell for every request to stop one; reconnects by itself after the database
/// comes back.
public struct PostgresJobListener: Service {
    let configuration: PostgresConnection.Configuration
    let doorbells: WorkerDoorbells
    let logger: Logger

    public init(configuration: PostgresConnection.Configuration, doorbells: WorkerDoorbells, logger: Logger) {
        self.configuration = configuration
        self.doorbells = doorbells
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await listenForever() }
    }

    private func listenForever() async throws {
        var connectionID = 0
        var backoff = Duration.milliseconds(250)
        do {
            while !Task.isCancelled {
                connectionID += 1
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: configuration, id: connectionID, logger: logger
                    )
                    defer { Task { try? await connection.close() } }
                    backoff = .milliseconds(250)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (channel, bell) in [(PostgresJobStore.notificationChannel, doorbells.work), (PostgresJobStore.cancellationChannel, doorbells.cancellations)] {
                            group.addTask {
                                try await connection.listen(on: channel) { notifications in
                                    // What happened while no one listened is found by this first ring.
                                    bell.ring()
                                    for try await _ in notifications { bell.ring() }
                                }
                            }
                        }
                        // Either ending (the connection lost) ends both: reconnect.
                        try await group.next()
                        group.cancelAll()
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("job notifications interrupted; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        } catch is CancellationError {
            return
        }
    }
}
