import Embeddings
import Foundation
import Hummingbird
import Synchronization

/// A deterministic embedding model, in process (an ``Embedder``) and behind a real
/// OpenAI-compatible `POST /v1/embeddings` server, for tests: the plumbing of hybrid search,
/// never its quality (docs/RETRIEVAL.md measures a real model).
///
/// A text's vector counts its words, each folded to a crude stem and then to a concept shared by
/// a few synonyms, hashed into 64 dimensions: texts that share concepts are close even when they
/// share no word, as with a real model ("expensive" is near "price").
public final class EmbeddingsStandIn: Embedder, Sendable {
    public let model: String
    private let state = Mutex(State())
    private let server = Mutex<LocalServer?>(nil)

    struct State {
        var requests: [[String]] = []
        var failing = false
    }

    public init(model: String = "stand-in-embeddings") {
        self.model = model
    }

    /// Every request's texts, in order.
    public var requests: [[String]] { state.withLock { $0.requests } }

    /// Every text embedded so far.
    public var textsEmbedded: Int { state.withLock { $0.requests.reduce(0) { $0 + $1.count } } }

    /// While set, the server answers 503 and the in-process embedder throws.
    public func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    public func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        let failing = state.withLock { state in
            state.requests.append(texts)
            return state.failing
        }
        if failing { throw EmbeddingsError(.unavailable, "the stand-in is failing") }
        return texts.map(Self.vector)
    }

    /// Synonyms folded to one concept, after stemming.
    static let concepts: [String: String] = [
        "cost": "price", "pay": "price", "pricing": "price", "expensive": "price", "cheap": "price", "fee": "price", "money": "price",
        "refund": "cancel", "quit": "cancel", "stop": "cancel",
        "mentor": "help", "support": "help", "assist": "help",
    ]

    static func stem(_ word: String) -> String {
        for suffix in ["ing", "es", "ed", "s"] where word.count > suffix.count + 3 && word.hasSuffix(suffix) {
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    /// The stand-in model: a bag of concepts, hashed (FNV-1a) into 64 dimensions.
    public static func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: 64)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) where word.count > 2 {
            let stemmed = stem(String(word))
            let concept = concepts[stemmed] ?? concepts[String(word)] ?? stemmed
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in concept.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            vector[Int(hash % 64)] += 1
        }
        // An empty text still gets a vector (a real model's never is zero).
        if vector.allSatisfy({ $0 == 0 }) { vector[0] = 1 }
        return vector
    }

    /// The API base to give the worker (`EMBEDDINGS_BASE_URL`).
    public var baseURL: String { "http://127.0.0.1:\(server.withLock { $0?.port ?? 0 })/v1" }

    public func start() async {
        let router = Router()
        router.post("/v1/embeddings") { request, context in
            try await self.respond(request, context: context)
        }
        let started = await LocalServer.start(router, label: "embeddings-stand-in")
        server.withLock { $0 = started }
    }

    public func stop() {
        server.withLock { $0?.stop() }
    }

    private struct RequestBody: Decodable {
        var model: String
        var input: [String]
    }

    private struct ResponseBody: Encodable {
        struct Item: Encodable {
            var object = "embedding"
            var index: Int
            var embedding: [Float]
        }

        var object = "list"
        var data: [Item]
        var model: String
    }

    private func respond(_ request: Request, context: some RequestContext) async throws -> Response {
        let body = try await request.decode(as: RequestBody.self, context: context)
        guard body.model == model else {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"unknown model"}}"#)))
        }
        let vectors: [[Float]]
        do {
            vectors = try await embed(body.input)
        } catch {
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"overloaded"}}"#)))
        }
        // Listed in reverse, as a server may: the client must order them by index.
        let items = vectors.enumerated().map { ResponseBody.Item(index: $0.offset, embedding: $0.element) }.reversed()
        let data = try JSONEncoder().encode(ResponseBody(data: Array(items), model: model))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
