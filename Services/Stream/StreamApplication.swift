import EventDelivery
import HTTPSupport
import Hummingbird
import Jobs
import Logging
import Prometheus
import ServiceSupport
import EventLog
import StreamTokens

/// Wires the stream service: token verifier, event log and its watcher, delivery hub and clock, the stream
/// handler on every connection, and the router for the rest.
enum StreamApplication {
    static func build(settings: StreamSettings, metrics: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
        let connection = try StoreConnection.open(settings.common.database, maximumConnections: 4, logger: logger)
        let keys = try await StreamTokenSettings.keys(reader: settings.reader, database: settings.common.database)
        let hub = DeliveryHub()
        let (log, watcher) = try settings.eventLog.readingLog(
            connection: connection, lostAfter: settings.eventLogLost, logger: logger,
            onChange: { change in hub.logChanged(change) },
            watchedJobs: { hub.watchedJobs() },
            onLost: { hub.drainAll() }
        )
        var clockConfiguration = DeliveryClock.Configuration()
        clockConfiguration.silence = settings.silence
        let clock = DeliveryClock(hub: hub, store: connection.store, configuration: clockConfiguration, logger: logger)

        var sourceConfiguration = JobStreamSource.Configuration()
        sourceConfiguration.timeout = settings.timeout
        sourceConfiguration.heartbeat = settings.heartbeat
        sourceConfiguration.retryMilliseconds = settings.retryMilliseconds
        let source = JobStreamSource(log: log, hub: hub, lookup: JobLookup(store: connection.store), configuration: sourceConfiguration)

        let serverName = "tutorline-stream"
        let cors = CORSPolicy(
            origins: settings.corsOrigins,
            allowHeaders: ["accept", "authorization", "last-event-id", "cache-control"],
            allowMethods: ["GET", "OPTIONS"]
        )
        let streams = StreamRoutes(
            verifier: StreamTokenVerifier(keys: keys), source: source, admission: StreamAdmission(limit: settings.maxPerToken), cors: cors, serverName: serverName, logger: logger
        )
        // Everything but the streams themselves: health, metrics, preflights, and the errors for
        // addresses that are not streams.
        let router = Router(context: TutorlineRequestContext.self)
        router.add(middleware: CORSPolicyMiddleware(cors))
        router.add(middleware: APIErrorMiddleware())
        let routes = RouteTable()
        router.add(middleware: MethodNotAllowedMiddleware(routes))
        router.addOperationalRoutes(metrics: metrics) { try await connection.store.ping() }
        let streamRoutes = StreamRoutes.paths.map { "GET \($0)" }
        routes.load(router.served(with: streamRoutes))
        router.logRoutes(logger, others: streamRoutes)

        let (server, closing) = settings.common.httpServerWithRouterOnDemand {
            [EventStreamChannelHandler(responder: streams, stallLimit: .milliseconds(settings.stall.wholeMilliseconds), logger: logger)]
        }
        var app = Application(
            router: router,
            server: server,
            configuration: settings.common.serverConfiguration(name: serverName),
            // Shut down in reverse order: the server stops listening and drains the streams, then
            // `closing` waits for their connections, then the rest.
            services: connection.services + connection.afterReady([watcher, clock]) + [closing],
            logger: logger
        )
        // A stream's first lookup waits for the pool too.
        app.beforeServerStarts { await connection.ready() }
        return app
    }
}
