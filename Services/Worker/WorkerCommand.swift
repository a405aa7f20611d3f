import ArgumentParser
import Hummingbird
import Knowledge
import Logging
import Retrieval
import ServiceSupport
import Settings

/// `tutorline-worker`: claims jobs and answers them into the spool.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-worker",
        abstract: "Claims queued jobs, answers them with the language model, and appends the answer to the spool.",
        discussion: Setting.helpText(WorkerSettings.all),
        subcommands: [Serve.self, Ingest.self],
        defaultSubcommand: Serve.self
    )
}

extension WorkerCommand {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load course content (Markdown) into the store; unchanged lessons are left alone."
        )

        @Argument(help: "The content folder: courses/<slug>/course.md with lesson files, and landing/*.md.")
        var directory: String

        func run() async throws {
            let common = try exitOnSettingsError { try CommonSettings(reader: SettingsReader(), defaultPort: 8082) }
            let embeddings = try exitOnSettingsError { try EmbeddingsSettings(reader: SettingsReader()) }
            common.logFormat.bootstrap(level: common.logLevel)
            let logger = Logger(label: "tutorline-worker")
            let content: KnowledgeContent
            do {
                content = try ContentLoader().load(directory: directory)
            } catch let error as ContentLoader.Failure {
                throw ValidationError(error.description)
            }
            let connection = try exitOnSettingsError { try StoreConnection.open(common.database, maximumConnections: 2, logger: logger) }
            try await StoreConnection.runWhileConnected(connection) {
                try await connection.migrate()
                // Before anything is written: content half loaded, half embedded helps nobody.
                if embeddings.client != nil { try await connection.knowledge.checkVectorSupport() }
                let summary = try await connection.knowledge.ingest(content)
                logger.info("content ingested", metadata: ["directory": "\(directory)", "summary": "\(summary)"])
                if let embedder = embeddings.ingestEmbedder(logger: logger) {
                    let report = try await EmbeddingIndexer(knowledge: connection.knowledge, embedder: embedder, logger: logger).run()
                    logger.info("chunks embedded", metadata: ["model": "\(embedder.model)", "summary": "\(report)"])
                }
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the worker (the default).", discussion: Setting.helpText(WorkerSettings.all))

        func run() async throws {
            try await ServiceLauncher.run(
                label: "tutorline-worker", settings: { try WorkerSettings(reader: SettingsReader()) }, common: \.common,
                build: WorkerApplication.build
            )
        }
    }
}
