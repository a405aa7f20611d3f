import ArgumentParser
import Hummingbird
import Logging
import ServiceSupport
import Settings

/// `tutorline-stream`: serves Server-Sent Events for jobs from the spool.
@main
struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-stream",
        abstract: "Serves each job's events to browsers as Server-Sent Events, from the spool.",
        discussion: Setting.helpText(StreamSettings.all)
    )

    func run() async throws {
        try await ServiceLauncher.run(
            label: "tutorline-stream", settings: { try StreamSettings(reader: SettingsReader()) }, common: \.common,
            build: StreamApplication.build
        )
    }
}
