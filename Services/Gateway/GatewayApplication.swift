import HTTPSupport
import Hummingbird
import Jobs
import Logging
import Prometheus
import Questions
import ServiceSupport
import StreamTokens
import UserAuth

/// Wires the gateway: store, tokens, routes, middleware.
enum GatewayApplication {
    static func build(settings: GatewaySettings, metrics: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
        let connection = try StoreConnection.open(settings.common.database, logger: logger)
        let keys = try await StreamTokenSettings.keys(reader: settings.reader, database: settings.common.database)
        if settings.authJWKSURL != nil, settings.authJWTAudience == nil {
            // Providers sign tokens for every application of a tenant with the same keys.
            logger.warning("AUTH_JWKS_URL is set without AUTH_JWT_AUDIENCE: tokens the provider issued for other applications are accepted too")
        }
        let remoteKeys = settings.authJWKSURL.map {
            RemoteKeySet(url: $0.absoluteString, refreshInterval: settings.authJWKSRefresh, cooldown: settings.authJWKSCooldown, logger: logger)
        }
        let users = try await UserTokenVerifier(
            hmacSecret: settings.authJWTSecret, jwks: settings.authJWKS, remote: remoteKeys,
            audience: settings.authJWTAudience, issuer: settings.authJWTIssuer
        )

        let readLimiter = RateLimiter(limit: settings.anonReadRateLimit)
        let router = Router(context: TutorlineRequestContext.self)
        router.add(middleware: CORSPolicyMiddleware(CORSPolicy(
            origins: settings.corsOrigins,
            allowHeaders: ["accept", "authorization", "content-type", "idempotency-key", "last-event-id"],
            allowMethods: ["GET", "POST", "DELETE", "OPTIONS"]
        )))
        router.add(middleware: APIErrorMiddleware())
        let routes = RouteTable()
        router.add(middleware: MethodNotAllowedMiddleware(routes))
        router.add(middleware: MetricsMiddleware())
        router.addOperationalRoutes(metrics: metrics) { try await connection.store.ping() }
        QueryRoutes(
            store: connection.store,
            intake: QuestionIntake(
                store: connection.store, knowledge: connection.knowledge, maxAttempts: settings.maxAttempts, userLimits: settings.userLimits
            ),
            tokens: StreamTokenIssuer(keys: keys, lifetime: settings.streamTokenTTL),
            streamTokens: StreamTokenVerifier(keys: keys),
            users: users,
            rateLimiter: RateLimiter(limit: settings.anonRateLimit),
            readLimiter: readLimiter,
            streamPublicURL: settings.streamPublicURL,
            trustForwardedFor: settings.trustForwardedFor
        ).register(on: router)
        SessionRoutes(
            store: connection.store, knowledge: connection.knowledge, users: users,
            tokens: StreamTokenIssuer(keys: keys, lifetime: settings.streamTokenTTL), streamPublicURL: settings.streamPublicURL,
            readLimiter: readLimiter, trustForwardedFor: settings.trustForwardedFor
        ).register(on: router)
        DemoRoutes(users: users, mintsDemoTokens: settings.common.database.isEmbedded).register(on: router)
        DocumentRoutes().register(on: router)
        routes.load(router.served())
        router.logRoutes(logger)

        var app = Application(
            router: router,
            server: settings.common.httpServer(),
            configuration: settings.common.serverConfiguration(name: "tutorline-gateway"),
            services: connection.services + connection.afterReady([QueueMetricsReporter(store: connection.store, logger: logger)]) + (remoteKeys.map { [$0] } ?? []),
            logger: logger
        )
        app.beforeServerStarts {
            // Safe when several gateways start at once: migrations run under an advisory lock.
            try await connection.migrate()
        }
        return app
    }
}
