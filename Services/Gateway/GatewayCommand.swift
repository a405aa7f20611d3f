import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceSupport
import UserAuth
import Settings

/// `tutorline-gateway`: accepts queries, writes jobs, serves legacy polling.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-gateway",
        abstract: "Accepts assistant queries, stores them as jobs, and answers 202 with a stream URL.",
        discussion: Setting.helpText(GatewaySettings.all),
        subcommands: [Serve.self, Migrate.self, Token.self],
        defaultSubcommand: Serve.self
    )
}

extension GatewayCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the gateway (the default).", discussion: Setting.helpText(GatewaySettings.all))

        func run() async throws {
            try await ServiceLauncher.run(
                label: "tutorline-gateway", settings: { try GatewaySettings(reader: SettingsReader()) }, common: \.common,
                build: GatewayApplication.build
            )
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the database schema and exit.")

        func run() async throws {
            let reader = SettingsReader()
            let common = try exitOnSettingsError { try CommonSettings(reader: reader, defaultPort: 8080) }
            common.logFormat.bootstrap(level: common.logLevel)
            let logger = Logger(label: "tutorline-gateway")
            let connection = try exitOnSettingsError { try StoreConnection.open(common.database, maximumConnections: 2, logger: logger) }
            try await StoreConnection.runWhileConnected(connection) { try await connection.migrate() }
            logger.info("schema is up to date")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a bearer token signed with AUTH_JWT_SECRET, for local use.")

        @Option(help: "The user id (sub claim).")
        var sub: String

        @Option(help: "Lifetime in seconds.")
        var ttl: Int = 3600

        func run() async throws {
            let reader = SettingsReader()
            // With SQLite (the embedded default) the generated secret signs; with Postgres it is required.
            let secret = try exitOnSettingsError {
                let database = try DatabaseLocation(parsing: try reader.required(CommonSettings.databaseURL))
                return try EmbeddedDefaults.secret(GatewaySettings.authJWTSecret, reader: reader, database: database)
            }
            let users = try await UserTokenVerifier(hmacSecret: secret)
            print(try await users.issue(subject: sub, lifetime: .seconds(ttl)))
        }
    }
}
