import EventDelivery
import HTTPSupport
import Hummingbird
import Logging
import Prometheus
import ServiceSupport
import Spool
import StreamTokens

/// Wires the stream service: token verifier, spool watcher, delivery hub and clock, routes.
enum StreamApplication {
    static func build(settings: StreamSettings, metrics: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
        let connection = try StoreConnection.open(settings.common.database, maximumConnections: 4, logger: logger)
        let keys = try await StreamTokenSettings.keys(reader: settings.reader, database: settings.common.database)
        let spool = Spool(directory: settings.spoolDir)
        do {
            try spool.prepare()
        } catch {
            throw SettingsError(StreamSettings.spoolDir.name, "cannot create \(settings.spoolDir): \(error.localizedDescription)")
        }
        let hub = DeliveryHub()
        let watcher = spool.watcher(logger: logger) { change in hub.spoolChanged(change) }
        var clockConfiguration = DeliveryClock.Configuration()
        clockConfiguration.silence = settings.silence
        let clock = DeliveryClock(hub: hub, store: connection.store, configuration: clockConfiguration, logger: logger)

        var sourceConfiguration = JobStreamSource.Configuration()
        sourceConfiguration.timeout = settings.timeout
        sourceConfiguration.heartbeat = settings.heartbeat
        sourceConfiguration.retryMilliseconds = settings.retryMilliseconds
        let source = JobStreamSource(spool: spool, hub: hub, lookup: JobLookup(store: connection.store), configuration: sourceConfiguration)

        let router = Router(context: TutorlineRequestContext.self)
        router.add(middleware: CORSPolicyMiddleware(
            origins: settings.corsOrigins,
            allowHeaders: ["accept", "authorization", "last-event-id", "cache-control"],
            allowMethods: ["GET", "OPTIONS"]
        ))
        router.add(middleware: APIErrorMiddleware())
        router.addOperationalRoutes(metrics: metrics) { try await connection.store.ping() }
        StreamRoutes(verifier: StreamTokenVerifier(keys: keys), source: source).register(on: router)

        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ClientCloseHandler()])),
            configuration: settings.common.serverConfiguration(name: "tutorline-stream"),
            services: connection.services + [watcher, clock],
            logger: logger
        )
    }
}
