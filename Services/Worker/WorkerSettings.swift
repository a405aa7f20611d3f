import EventLog
import ServiceSupport
import Settings

/// Everything the worker reads from its environment.
struct WorkerSettings: Sendable {
    static let spoolDir = CommonSettings.spoolDir
    static let llmBaseURL = Setting("LLM_BASE_URL", default: "", "OpenAI-compatible API base, e.g. https://api.openai.com/v1")
    static let llmAPIKey = Setting("LLM_API_KEY", default: "", "API key sent as a bearer token", secret: true)
    static let llmModel = Setting("LLM_MODEL", default: "gpt-4o-mini", "model name")
    static let llmTimeout = Setting("LLM_TIMEOUT_SECONDS", default: "120", "longest a whole answer may take")
    static let offlinePace = Setting("OFFLINE_PACE_MS", default: "15", "pause between pieces of an offline answer")
    static let llmMaxTokens = Setting("LLM_MAX_TOKENS", default: "1024", "the most tokens one answer may take (max_tokens)")
    static let llmIdleTimeout = Setting("LLM_IDLE_TIMEOUT_SECONDS", default: "20", "longest the model may go quiet mid-answer")
    static let deltaPace = Setting(
        "DELTA_PACE_MS", default: nil,
        "pieces of an answer that come faster than this go out together, as one delta (one append); default 15, or 50 with EVENT_LOG=postgres, where an append is a statement"
    )
    static let concurrency = Setting("WORKER_CONCURRENCY", default: "4", "jobs answered at once")
    static let lease = Setting("JOB_LEASE_SECONDS", default: "30", "how long a claim holds a job; extended while it runs")
    static let rescueInterval = Setting("JOB_RESCUE_SECONDS", default: "5", "how often expired leases are returned to the queue")
    static let shutdownGrace = Setting("WORKER_SHUTDOWN_GRACE_SECONDS", default: "20", "on SIGTERM, how long running jobs may finish before they are released")
    static let pollInterval = Setting(
        "WORKER_POLL_SECONDS", default: nil, "idle poll interval (default: 1 with Postgres, which also wakes workers by NOTIFY; 0.05 with SQLite)"
    )
    static let retryBase = Setting("JOB_RETRY_BASE_MS", default: "500", "first retry delay; doubles per attempt, jittered")
    static let spoolRetention = Setting(
        "SPOOL_RETENTION_HOURS", default: "24", "events of answers that ended longer ago are deleted, spool files or rows (0 keeps them)"
    )

    static let jobRetention = Setting(
        "JOB_RETENTION_DAYS", default: "30", "finished jobs (their results, and events kept in the database) are deleted after this many days; conversations keep their messages (0 keeps them)"
    )

    static let all: [Setting] = CommonSettings.settings(defaultPort: 8082) + EventLogSettings.all + [
        spoolDir, llmBaseURL, llmAPIKey, llmModel, llmTimeout, llmIdleTimeout, llmMaxTokens,
    ] + EmbeddingsSettings.all + [
        offlinePace, deltaPace, concurrency, lease, rescueInterval, pollInterval, retryBase, shutdownGrace, spoolRetention, jobRetention,
    ]

    var common: CommonSettings
    var eventLog: EventLogSettings
    var embeddings: EmbeddingsSettings
    /// `nil`: the offline answer engine.
    var llmBaseURL: String?
    var offlinePace: Duration
    var deltaPace: Duration
    var llmAPIKey: String?
    var llmModel: String
    var llmTimeout: Duration
    var llmIdleTimeout: Duration
    var llmMaxTokens: Int
    var concurrency: Int
    var lease: Duration
    /// `nil`: the store's own default.
    var pollInterval: Duration?
    var rescueInterval: Duration
    var shutdownGrace: Duration
    var retryBase: Duration
    /// `nil`: event logs are kept.
    var spoolRetention: Duration?
    /// `nil`: finished jobs are kept.
    var jobRetention: Duration?

    init(reader: SettingsReader) throws {
        common = try CommonSettings(reader: reader, defaultPort: 8082)
        eventLog = try EventLogSettings(reader: reader, database: common.database)
        embeddings = try EmbeddingsSettings(reader: reader)
        // Measured (docs/BENCHMARKS.md): at 50 ms a model's pieces cost half the statements of 15 ms.
        deltaPace = (reader.string(Self.deltaPace) ?? "").isEmpty
            ? .milliseconds(eventLog.kind == .postgres ? 50 : 15) : .milliseconds(try reader.int(Self.deltaPace, in: 0...1_000))
        let baseURL = reader.string(Self.llmBaseURL) ?? ""
        if baseURL.isEmpty {
            llmBaseURL = nil
        } else {
            guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
                throw SettingsError(Self.llmBaseURL.name, "must be an http:// or https:// URL")
            }
            llmBaseURL = baseURL
        }
        offlinePace = .milliseconds(try reader.int(Self.offlinePace, in: 0...10_000))
        llmAPIKey = reader.string(Self.llmAPIKey).flatMap { $0.isEmpty ? nil : $0 }
        llmModel = try reader.required(Self.llmModel)
        llmTimeout = try reader.seconds(Self.llmTimeout, in: 1...3600)
        llmIdleTimeout = try reader.seconds(Self.llmIdleTimeout, in: 0.1...3600)
        llmMaxTokens = try reader.int(Self.llmMaxTokens, in: 16...1_000_000)
        concurrency = try reader.int(Self.concurrency, in: 1...256)
        lease = try reader.seconds(Self.lease, in: 1...3600)
        pollInterval = (reader.string(Self.pollInterval) ?? "").isEmpty ? nil : try reader.seconds(Self.pollInterval, in: 0.01...60)
        rescueInterval = try reader.seconds(Self.rescueInterval, in: 0.1...3600)
        shutdownGrace = try reader.seconds(Self.shutdownGrace, in: 0...3600)
        retryBase = .milliseconds(try reader.int(Self.retryBase, in: 1...600_000))
        let retentionHours = try reader.int(Self.spoolRetention, in: 0...100_000)
        spoolRetention = retentionHours == 0 ? nil : .seconds(retentionHours * 3600)
        let retentionDays = try reader.int(Self.jobRetention, in: 0...36_500)
        jobRetention = retentionDays == 0 ? nil : .seconds(retentionDays * 86_400)
    }
}
