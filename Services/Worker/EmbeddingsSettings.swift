import AsyncHTTPClient
import Embeddings
import Logging
import Retrieval
import Settings

/// The embeddings API, read by the worker and by its ingest command. Off unless a model is named.
struct EmbeddingsSettings: Sendable {
    static let baseURL = Setting("EMBEDDINGS_BASE_URL", default: "", "OpenAI-compatible API base for /embeddings (default: LLM_BASE_URL)")
    static let apiKey = Setting("EMBEDDINGS_API_KEY", default: "", "API key for the embeddings API (default: LLM_API_KEY, when EMBEDDINGS_BASE_URL is unset)", secret: true)
    static let model = Setting(
        "EMBEDDINGS_MODEL", default: "",
        "embedding model, e.g. text-embedding-3-small; set: hybrid search (words and meaning); unset: full-text search only"
    )
    static let timeout = Setting(
        "EMBEDDINGS_TIMEOUT_SECONDS", default: "3", "longest a question's embedding may take before it is searched by its words only"
    )
    static let queryPrefix = Setting(
        "EMBEDDINGS_QUERY_PREFIX", default: "", "put before each question embedded, for models trained with one (E5: \"query: \")"
    )
    static let documentPrefix = Setting(
        "EMBEDDINGS_DOCUMENT_PREFIX", default: "",
        "put before each text of the material embedded (E5: \"passage: \"); changing it re-embeds the material once"
    )
    static let mode = Setting("RETRIEVAL_MODE", default: "hybrid", "with EMBEDDINGS_MODEL: hybrid, vector or full_text")
    static let all = [baseURL, apiKey, model, timeout, queryPrefix, documentPrefix, mode]

    /// `nil`: no embeddings, full-text search only.
    var client: EmbeddingsClient.Configuration?
    var mode: RetrievalMode

    init(reader: SettingsReader) throws {
        let rawMode = try reader.required(Self.mode)
        guard let mode = RetrievalMode(rawValue: rawMode) else {
            throw SettingsError(Self.mode.name, "must be hybrid, vector or full_text, got \"\(rawMode)\"")
        }
        self.mode = mode
        let model = reader.string(Self.model) ?? ""
        guard !model.isEmpty else {
            client = nil
            return
        }
        let ownURL = reader.string(Self.baseURL) ?? ""
        let baseURL = ownURL.isEmpty ? (reader.string(WorkerSettings.llmBaseURL) ?? "") : ownURL
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw SettingsError(
                Self.baseURL.name, baseURL.isEmpty ? "EMBEDDINGS_MODEL is set: set EMBEDDINGS_BASE_URL (or LLM_BASE_URL) too" : "must be an http:// or https:// URL"
            )
        }
        // The LLM's key goes only where the LLM's URL does: never to another embeddings host.
        let ownKey = reader.string(Self.apiKey) ?? ""
        let key = !ownKey.isEmpty ? ownKey : (ownURL.isEmpty ? reader.string(WorkerSettings.llmAPIKey) : nil)
        var client = EmbeddingsClient.Configuration(baseURL: baseURL, apiKey: key, model: model)
        client.timeout = try reader.seconds(Self.timeout, in: 0.1...600)
        client.queryPrefix = try Self.prefix(Self.queryPrefix, reader)
        client.documentPrefix = try Self.prefix(Self.documentPrefix, reader)
        self.client = client
    }

    /// An instruction prefix; bounded, since the document prefix is part of the key vectors are
    /// stored under (Postgres caps an index entry at about 2.7 KB).
    static func prefix(_ setting: Setting, _ reader: SettingsReader) throws -> String {
        let value = reader.string(setting) ?? ""
        guard value.count <= 200 else { throw SettingsError(setting.name, "must be at most 200 characters, got \(value.count)") }
        return value
    }

    /// The client for questions; `nil` without a model.
    func embedder(logger: Logger) -> EmbeddingsClient? {
        client.map { EmbeddingsClient(http: .shared, configuration: $0, logger: logger) }
    }

    /// The client for the ingest: whole batches of chunks, so a longer timeout than a question's.
    func ingestEmbedder(logger: Logger) -> EmbeddingsClient? {
        client.map { configuration in
            var configuration = configuration
            configuration.timeout = max(configuration.timeout, .seconds(120))
            return EmbeddingsClient(http: .shared, configuration: configuration, logger: logger)
        }
    }
}
