import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore

/// Calls any OpenAI-compatible `/embeddings` endpoint (OpenAI, llama.cpp's server, vLLM, Ollama's
/// `/v1`, ...), sending texts in batches.
public struct EmbeddingsClient: Embedder {
    public struct Configuration: Sendable {
        /// The API base, e.g. `https://api.openai.com/v1`; `/embeddings` is appended.
        public var baseURL: String
        public var apiKey: String?
        public var model: String
        /// The longest one request may take.
        public var timeout: Duration = .seconds(5)
        /// The most texts sent in one request.
        public var batchSize = 32
        /// Put before each question and each text of the material: models trained with
        /// instructions want them (E5 `query: ` / `passage: `, EmbeddingGemma
        /// `task: search result | query: ` / `title: none | text: `, nomic `search_query: ` /
        /// `search_document: `); the OpenAI API has no field for them.
        public var queryPrefix = ""
        public var documentPrefix = ""

        public init(baseURL: String, apiKey: String?, model: String) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
        }
    }

    let http: HTTPClient
    let configuration: Configuration
    let logger: Logger

    public init(http: HTTPClient, configuration: Configuration, logger: Logger) {
        self.http = http
        self.configuration = configuration
        self.logger = logger
    }

    /// The model's name, and the document prefix when there is one: another prefix makes other
    /// vectors, so they are stored apart and the material re-embedded once, as for another model.
    public var model: String {
        configuration.documentPrefix.isEmpty ? configuration.model : "\(configuration.model) (document prefix \"\(configuration.documentPrefix)\")"
    }

    public func embedQuestion(_ question: String) async throws(EmbeddingsError) -> [Float] {
        try Self.onlyVector(of: try await embedBatch([configuration.queryPrefix + question]))
    }

    private struct RequestBody: Encodable {
        var model: String
        var input: [String]
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            var index: Int
            var embedding: [Float]
        }

        var data: [Item]
    }

    public func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = texts.startIndex
        while start < texts.endIndex {
            let end = min(start + max(1, configuration.batchSize), texts.endIndex)
            vectors += try await embedBatch(texts[start..<end].map { configuration.documentPrefix + $0 })
            start = end
        }
        return vectors
    }

    private func embedBatch(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        let started = ContinuousClock.now
        do {
            defer { Timer(label: "tutorline_embeddings_request_seconds").record(duration: ContinuousClock.now - started) }
            return try await request(texts)
        } catch {
            Counter(label: "tutorline_embeddings_errors_total", dimensions: [("code", error.code.rawValue)]).increment()
            throw error
        }
    }

    private func request(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + "/embeddings")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey = configuration.apiKey, !apiKey.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        }
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(RequestBody(model: configuration.model, input: texts))))
        } catch {
            throw EmbeddingsError(.rejected, "The request could not be encoded: \(error)")
        }
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Self.nanoseconds(configuration.timeout)), logger: logger)
            let status = Int(response.status.code)
            body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            guard (200..<300).contains(status) else {
                let code: EmbeddingsError.Code = status == 429 || status >= 500 ? .unavailable : (status == 408 ? .timedOut : .rejected)
                throw EmbeddingsError(code, "The embeddings API answered HTTP \(status): \(String(buffer: body).prefix(200))")
            }
        } catch let error as EmbeddingsError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw EmbeddingsError(.timedOut, "The embeddings API did not answer within \(configuration.timeout).")
        } catch {
            throw EmbeddingsError(.unavailable, "The embeddings API could not be reached: \(error)")
        }
        let decoded: ResponseBody
        do {
            decoded = try JSONDecoder().decode(ResponseBody.self, from: Data(body.readableBytesView))
        } catch {
            throw EmbeddingsError(.malformedResponse, "The embeddings API's response is not an embeddings list.")
        }
        // `index` says which input a vector belongs to; servers may list them in any order.
        let ordered = decoded.data.sorted { $0.index < $1.index }
        guard ordered.map(\.index) == Array(texts.indices), let dimensions = ordered.first?.embedding.count,
            dimensions > 0, ordered.allSatisfy({ $0.embedding.count == dimensions })
        else {
            throw EmbeddingsError(.malformedResponse, "The embeddings API did not return one vector of one size per text (\(texts.count) sent, \(decoded.data.count) returned).")
        }
        return ordered.map(\.embedding)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
