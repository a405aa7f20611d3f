import PostgresNIO
import ServiceLifecycle

/// Runs a `PostgresClient` as a service.
struct PostgresClientService: Service {
    let client: PostgresClient
    let running: RunningSignal

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // `run()` marks the pool running in its first synchronous step, before any waiter
            // resumed here can reach it on another thread.
            running.signal()
            await client.run()
        }
    }
}
