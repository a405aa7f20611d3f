import ServiceLifecycle

/// Runs a service once its store is ready for statements.
struct StartsWhenReady: Service {
    let service: any Service
    let ready: @Sendable () async -> Void

    func run() async throws {
        await ready()
        try await service.run()
    }
}
