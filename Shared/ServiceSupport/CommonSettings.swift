import Hummingbird
import Logging

/// The settings every service reads.
public struct CommonSettings: Sendable {
    public static let host = Setting("HOST", default: "127.0.0.1", "address to listen on")
    public static let databaseURL = Setting(
        "DATABASE_URL", default: "sqlite:.tutorline/tutorline.sqlite", "postgres://user:pass@host:port/db or sqlite:PATH", secret: true
    )
    public static let databasePassword = Setting(
        "DATABASE_PASSWORD", default: "", "the Postgres password, when DATABASE_URL carries none (taken as it is, no encoding)", secret: true
    )
    public static let spoolDir = Setting("SPOOL_DIR", default: ".tutorline/spool", "the message-file spool shared by worker and stream")
    public static let logLevel = Setting("LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical")
    public static let logFormat = Setting("LOG_FORMAT", default: "text", "text or json")

    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    /// The settings shared by all services, PORT defaulting to `defaultPort`.
    public static func settings(defaultPort: Int) -> [Setting] {
        [host, portSetting(defaultPort), databaseURL, databasePassword, logLevel, logFormat]
    }

    static func portSetting(_ defaultPort: Int) -> Setting {
        Setting("PORT", default: String(defaultPort), "port to listen on")
    }

    public init(reader: SettingsReader, defaultPort: Int) throws {
        host = try reader.required(Self.host)
        port = try reader.int(Self.portSetting(defaultPort), in: 0...65535)
        database = try DatabaseLocation(parsing: try reader.required(Self.databaseURL), password: reader.string(Self.databasePassword))
        logLevel = try reader.logLevel(Self.logLevel)
        let format = try reader.required(Self.logFormat)
        guard let logFormat = LogFormat(rawValue: format) else {
            throw SettingsError(Self.logFormat.name, "must be text or json, got \"\(format)\"")
        }
        self.logFormat = logFormat
    }
}

extension CommonSettings {
    /// The HTTP server configuration of a service listening where these settings say.
    ///
    /// The listen backlog is the kernel's usual ceiling rather than Hummingbird's 256: when a
    /// stream replica goes away, thousands of browsers reconnect to the others at once, and a
    /// full backlog drops their SYNs, which the client retries only after a second.
    public func serverConfiguration(name: String) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: name, backlog: 4096)
    }
}
