import ArgumentParser
import Hummingbird
import Logging
import ServiceSupport

/// `tutorline-stream`: serves Server-Sent Events for jobs from the spool.
@main
struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-stream",
        abstract: "Serves each job's events to browsers as Server-Sent Events, from the spool.",
        discussion: Setting.helpText(StreamSettings.all)
    )

    func run() async throws {
        let settings = try exitOnSettingsError { try StreamSettings(reader: SettingsReader()) }
        settings.common.logFormat.bootstrap(level: settings.common.logLevel)
        let metrics = ServiceMetrics.bootstrap()
        let logger = Logger(label: "tutorline-stream")
        let app = try await exitOnSettingsError { try await StreamApplication.build(settings: settings, metrics: metrics, logger: logger) }
        try await app.runService()
    }
}
