import ArgumentParser
import Hummingbird
import Logging
import ServiceSupport

/// `tutorline-worker`: claims jobs and answers them into the spool.
@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-worker",
        abstract: "Claims queued jobs, answers them with the language model, and appends the answer to the spool.",
        discussion: Setting.helpText(WorkerSettings.all),
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}

extension WorkerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the worker (the default).", discussion: Setting.helpText(WorkerSettings.all))

        func run() async throws {
            let settings = try exitOnSettingsError { try WorkerSettings(reader: SettingsReader()) }
            settings.common.logFormat.bootstrap(level: settings.common.logLevel)
            let metrics = ServiceMetrics.bootstrap()
            let logger = Logger(label: "tutorline-worker")
            let app = try await exitOnSettingsError { try await WorkerApplication.build(settings: settings, metrics: metrics, logger: logger) }
            try await app.runService()
        }
    }
}
