import AsyncHTTPClient
import Assistant
import HTTPSupport
import Hummingbird
import Jobs
import LLM
import Logging
import ServiceLifecycle
import Prometheus
import Retrieval
import ServiceSupport
import EventLog

/// Wires the worker: store and wake-ups, event log, answer engine, the job loop, and a small
/// HTTP server for health and metrics.
enum WorkerApplication {
    static func build(settings: WorkerSettings, metrics: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
        let connection = try StoreConnection.open(
            settings.common.database, maximumConnections: settings.concurrency + 2, logger: logger
        )
        let events = try settings.eventLog.writingLog(connection: connection, logger: logger)
        let engine: any AnswerEngine
        if let baseURL = settings.llmBaseURL {
            var llm = ChatCompletionClient.Configuration(baseURL: baseURL, apiKey: settings.llmAPIKey, model: settings.llmModel)
            llm.requestTimeout = settings.llmTimeout
            llm.idleTimeout = settings.llmIdleTimeout
            llm.maximumTokens = settings.llmMaxTokens
            engine = LLMAnswerEngine(client: ChatCompletionClient(http: .shared, configuration: llm, logger: logger), logger: logger)
        } else {
            logger.notice("no LLM_BASE_URL: answering with the offline engine, from course excerpts")
            engine = OfflineAnswerEngine(pace: settings.offlinePace)
        }

        let embedder = settings.embeddings.embedder(logger: logger)
        if let embedder {
            logger.info("retrieval with embeddings", metadata: ["model": "\(embedder.model)", "mode": "\(settings.embeddings.mode.rawValue)"])
        }
        let retriever = Retriever(knowledge: connection.knowledge, embedder: embedder, mode: settings.embeddings.mode, logger: logger)

        let doorbells = WorkerDoorbells()
        let cancellations = JobCancellations(store: connection.store, bell: doorbells.cancellations, logger: logger)
        var workerConfiguration = JobWorker.Configuration()
        workerConfiguration.concurrency = settings.concurrency
        workerConfiguration.lease = settings.lease
        workerConfiguration.pollInterval = settings.pollInterval ?? connection.pollInterval
        workerConfiguration.rescueInterval = settings.rescueInterval
        workerConfiguration.shutdownGrace = settings.shutdownGrace
        workerConfiguration.retry = RetryPolicy(baseDelay: settings.retryBase)
        let worker = JobWorker(
            store: connection.store,
            handler: AssistantJobHandler(
                store: connection.store, retriever: retriever, events: events, engine: engine, pace: settings.deltaPace, logger: logger
            ),
            doorbell: doorbells.work,
            cancellations: cancellations,
            configuration: workerConfiguration,
            logger: logger
        )
        var services = connection.services
        if let listener = try connection.makeJobListener(doorbells) { services.append(listener) }
        var queries: [any Service] = [cancellations, worker]
        if let retention = settings.spoolRetention {
            let store = connection.store
            queries.append(EventLogPruner(log: events, retention: retention, existingJobs: { Set(try await store.jobs(ids: $0).map(\.id)) }, logger: logger))
        }
        // Also with finished jobs kept: it prunes the per-user question windows.
        queries.append(JobRetention(store: connection.store, retention: settings.jobRetention, logger: logger))
        services += connection.afterReady(queries)

        let router = Router(context: TutorlineRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.addOperationalRoutes(metrics: metrics) { try await connection.store.ping() }
        var app = Application(
            router: router,
            server: settings.common.httpServer(),
            configuration: settings.common.serverConfiguration(name: "tutorline-worker"),
            services: services,
            logger: logger
        )
        if embedder != nil {
            // A database that cannot hold vectors would leave every question to full text: stop
            // at start with what to do instead.
            let knowledge = connection.knowledge
            app.beforeServerStarts {
                await connection.ready()
                try await knowledge.checkVectorSupport()
            }
        }
        return app
    }
}
