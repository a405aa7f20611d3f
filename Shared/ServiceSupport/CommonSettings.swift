#if canImport(Glibc)
import Glibc
#endif
import HTTPSupport
import Hummingbird
import HummingbirdCore
import Jobs
import Logging
import NIOCore
import Settings
import Observability

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
    public static let maxConnections = Setting(
        "MAX_CONNECTIONS", default: "auto", "open connections at most (auto: the descriptor limit less 256 kept for the store and files)"
    )
    public static let idleTimeout = Setting(
        "HTTP_IDLE_TIMEOUT_SECONDS", default: "30", "a connection with no complete request for this long, and nothing being answered, is closed"
    )
    public static let readTimeout = Setting("HTTP_READ_TIMEOUT_SECONDS", default: "15", "a request's head to its end (its body) at most")
    /// Descriptors kept for what is not a connection: the store's pool, spool and log files.
    static let reservedDescriptors = 256

    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var maxConnections: Int
    public var idleTimeout: Duration
    public var readTimeout: Duration

    /// The settings shared by all services, PORT defaulting to `defaultPort`.
    public static func settings(defaultPort: Int) -> [Setting] {
        [host, portSetting(defaultPort), databaseURL, databasePassword, logLevel, logFormat, maxConnections, idleTimeout, readTimeout]
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
        let descriptors = Self.raiseDescriptorLimit()
        if reader.string(Self.maxConnections).map({ $0.isEmpty || $0 == "auto" }) ?? true {
            maxConnections = max(16, descriptors - Self.reservedDescriptors)
        } else {
            maxConnections = try reader.int(Self.maxConnections, in: 1...10_000_000)
        }
        idleTimeout = try reader.seconds(Self.idleTimeout, in: 0.1...86_400)
        readTimeout = try reader.seconds(Self.readTimeout, in: 0.1...86_400)
    }

    /// Raises this process's descriptor limit to its hard limit (one descriptor per connection)
    /// and returns it.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
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

    /// HTTP/1.1 with the connection bounds every service keeps: the cap on open connections,
    /// the idle and read timeouts; `handlers` (made per connection) come after them.
    public func httpServer(_ handlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] }) -> HTTPServerBuilder {
        .http1(configuration: http1Configuration(cap: ConnectionCap(limit: maxConnections), handlers))
    }

    /// As ``httpServer(_:)``, but a connection meets the router only when a request gets past
    /// `handlers` (``RouterOnDemandChannel``): for a service whose handlers answer most
    /// connections. With it comes the service that holds graceful shutdown until the connections
    /// have closed (run it among the application's services).
    public func httpServerWithRouterOnDemand(
        _ handlers: @escaping @Sendable () -> [any RemovableChannelHandler]
    ) -> (server: HTTPServerBuilder, closing: OpenConnectionsDrain) {
        let cap = ConnectionCap(limit: maxConnections)
        return (.http1RouterOnDemand(configuration: http1Configuration(cap: cap, handlers)), OpenConnectionsDrain(cap: cap))
    }

    private func http1Configuration(
        cap: ConnectionCap, _ handlers: @escaping @Sendable () -> [any RemovableChannelHandler]
    ) -> HTTP1Channel.Configuration {
        let idle = TimeAmount.milliseconds(idleTimeout.wholeMilliseconds)
        let read = TimeAmount.milliseconds(readTimeout.wholeMilliseconds)
        // The autoclosure runs per connection. HTTP/1.0 requests get 1.0 answers (HTTPVersionHandler).
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [HTTPVersionHandlerInstaller(), cap.handler(), ConnectionTimeoutHandler(idle: idle, read: read)] + handlers()
        )
    }
}
