import ServiceSupport

/// Everything the worker reads from its environment.
struct WorkerSettings: Sendable {
    static let spoolDir = CommonSettings.spoolDir
    static let llmBaseURL = Setting("LLM_BASE_URL", default: "", "OpenAI-compatible API base, e.g. https://api.openai.com/v1")
    static let llmAPIKey = Setting("LLM_API_KEY", default: "", "API key sent as a bearer token", secret: true)
    static let llmModel = Setting("LLM_MODEL", default: "gpt-4o-mini", "model name")
    static let llmTimeout = Setting("LLM_TIMEOUT_SECONDS", default: "120", "longest a whole answer may take")
    static let llmIdleTimeout = Setting("LLM_IDLE_TIMEOUT_SECONDS", default: "20", "longest the model may go quiet mid-answer")
    static let concurrency = Setting("WORKER_CONCURRENCY", default: "4", "jobs answered at once")
    static let lease = Setting("JOB_LEASE_SECONDS", default: "30", "how long a claim holds a job; extended while it runs")
    static let pollInterval = Setting("WORKER_POLL_SECONDS", default: "1", "backstop poll when no wake-up arrives")
    static let retryBase = Setting("JOB_RETRY_BASE_MS", default: "500", "first retry delay; doubles per attempt, jittered")

    static let all: [Setting] = CommonSettings.settings(defaultPort: 8082) + [
        spoolDir, llmBaseURL, llmAPIKey, llmModel, llmTimeout, llmIdleTimeout, concurrency, lease, pollInterval, retryBase,
    ]

    var common: CommonSettings
    var spoolDir: String
    var llmBaseURL: String
    var llmAPIKey: String?
    var llmModel: String
    var llmTimeout: Duration
    var llmIdleTimeout: Duration
    var concurrency: Int
    var lease: Duration
    var pollInterval: Duration
    var retryBase: Duration

    init(reader: SettingsReader) throws {
        common = try CommonSettings(reader: reader, defaultPort: 8082)
        spoolDir = try reader.required(Self.spoolDir)
        llmBaseURL = reader.string(Self.llmBaseURL) ?? ""
        guard !llmBaseURL.isEmpty else {
            // The offline answer engine arrives with the course-knowledge work; until then a model is required.
            throw SettingsError(Self.llmBaseURL.name, "is required (no offline answer engine in this build yet)")
        }
        guard llmBaseURL.hasPrefix("http://") || llmBaseURL.hasPrefix("https://") else {
            throw SettingsError(Self.llmBaseURL.name, "must be an http:// or https:// URL")
        }
        llmAPIKey = reader.string(Self.llmAPIKey).flatMap { $0.isEmpty ? nil : $0 }
        llmModel = try reader.required(Self.llmModel)
        llmTimeout = try reader.seconds(Self.llmTimeout, in: 1...3600)
        llmIdleTimeout = try reader.seconds(Self.llmIdleTimeout, in: 0.1...3600)
        concurrency = try reader.int(Self.concurrency, in: 1...256)
        lease = try reader.seconds(Self.lease, in: 1...3600)
        pollInterval = try reader.seconds(Self.pollInterval, in: 0.01...60)
        retryBase = .milliseconds(try reader.int(Self.retryBase, in: 1...600_000))
    }
}
