import ServiceSupport
import Settings

/// Everything the stream service reads from its environment.
struct StreamSettings: Sendable {
    static let spoolDir = CommonSettings.spoolDir
    static let streamTokenSecret = StreamTokenSettings.secret
    static let streamTokenPreviousSecrets = StreamTokenSettings.previousSecrets
    static let corsOrigins = Setting(
        "CORS_ORIGINS", default: nil,
        "comma-separated origins allowed to open streams from a browser (* for any); embedded default: the gateway's own origin"
    )
    static let timeout = Setting("STREAM_TIMEOUT_SECONDS", default: "90", "a stream whose job sends no new event for this long sends `timeout` and closes")
    static let heartbeat = Setting("STREAM_HEARTBEAT_SECONDS", default: "15", "interval of `: heartbeat` comments while idle")
    static let retry = Setting("STREAM_RETRY_MS", default: "2000", "the `retry:` reconnection delay sent to browsers")
    static let silence = Setting(
        "STREAM_SILENCE_SECONDS", default: "5", "event log silence after which a job's end is looked up in the store (batched)"
    )

    static let stall = Setting(
        "STREAM_STALL_SECONDS", default: "15", "a browser whose socket stays full this long (it reads nothing) is disconnected"
    )

    static let maxPerToken = Setting(
        "STREAM_MAX_PER_TOKEN", default: "8", "streams one stream token may hold open at once on a replica (429 past it)"
    )

    static let eventLogLost = Setting(
        "STREAM_EVENT_LOG_LOST_SECONDS", default: "10",
        "EVENT_LOG=postgres: how long the replica's LISTEN connection may stay down before it ends its streams (browsers move to another replica)"
    )

    static let all: [Setting] = CommonSettings.settings(defaultPort: 8081) + EventLogSettings.all + [
        eventLogLost, spoolDir, streamTokenSecret, streamTokenPreviousSecrets, corsOrigins, timeout, heartbeat, retry, silence, stall, maxPerToken,
    ]

    var common: CommonSettings
    var eventLog: EventLogSettings
    var reader: SettingsReader
    var corsOrigins: [String]
    var timeout: Duration
    var heartbeat: Duration
    var retryMilliseconds: Int
    var silence: Duration
    var stall: Duration
    var maxPerToken: Int
    var eventLogLost: Duration

    init(reader: SettingsReader) throws {
        self.reader = reader
        common = try CommonSettings(reader: reader, defaultPort: 8081)
        eventLog = try EventLogSettings(reader: reader, database: common.database)
        corsOrigins = reader.string(Self.corsOrigins) == nil && common.database.isEmbedded ? EmbeddedDefaults.gatewayOrigins : reader.list(Self.corsOrigins)
        timeout = try reader.seconds(Self.timeout, in: 1...86_400)
        heartbeat = try reader.seconds(Self.heartbeat, in: 1...3600)
        retryMilliseconds = try reader.int(Self.retry, in: 0...600_000)
        silence = try reader.seconds(Self.silence, in: 1...3600)
        stall = try reader.seconds(Self.stall, in: 1...3600)
        maxPerToken = try reader.int(Self.maxPerToken, in: 1...100_000)
        eventLogLost = try reader.seconds(Self.eventLogLost, in: 1...3600)
    }
}
