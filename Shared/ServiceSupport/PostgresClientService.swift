import PostgresNIO
import ServiceLifecycle

/// Runs a `PostgresClient` as a service.
struct PostgresClientService: Service {
    let client: PostgresClient
    let start: PoolStart

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await start.run(client)
        }
    }
}
