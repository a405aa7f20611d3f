import Hummingbird
import Logging
import Prometheus
import Settings
import Observability

/// The start of every service: read its settings (a bad one stops the process with one line),
/// install logging and metrics, build the application, run it until SIGTERM or SIGINT.
public enum ServiceLauncher {
    public static func run<Settings: Sendable, App: ApplicationProtocol>(
        label: String,
        settings load: () throws -> Settings,
        common: (Settings) -> CommonSettings,
        build: (Settings, PrometheusCollectorRegistry, Logger) async throws -> App
    ) async throws {
        let settings = try exitOnSettingsError { try load() }
        common(settings).logFormat.bootstrap(level: common(settings).logLevel)
        let metrics = ServiceMetrics.bootstrap()
        let logger = Logger(label: label)
        let app = try await exitOnSettingsError { try await build(settings, metrics, logger) }
        try await app.runService()
    }
}
