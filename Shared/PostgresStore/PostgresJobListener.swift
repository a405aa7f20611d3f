import Jobs
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps one connection listening on ``PostgresJobStore/notificationChannel`` and rings a
/// ``Doorbell`` for every new job; reconnects by itself after the database comes back.
public struct PostgresJobListener: Service {
    let configuration: PostgresConnection.Configuration
    let doorbell: Doorbell
    let logger: Logger

    public init(configuration: PostgresConnection.Configuration, doorbell: Doorbell, logger: Logger) {
        self.configuration = configuration
        self.doorbell = doorbell
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
                    try await connection.listen(on: PostgresJobStore.notificationChannel) { notifications in
                        // Jobs inserted while no one listened are found by this first ring.
                        doorbell.ring()
                        for try await _ in notifications { doorbell.ring() }
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
