import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local OpenAI-compatible `/v1/chat/completions` server that streams, the tests' only stand-in
/// (for the external LLM API). Its answer is made from the question, so tests can check it came
/// through; markers in the question script failures:
///
/// - `[503xN]`: the first N calls answer 503, later ones stream normally.
/// - `[busyxN]`: the first N calls answer 429 with `Retry-After: 2` (a local server with no free slot).
/// - `[400]`: every call answers 400.
/// - `[cutxN]`: the first N calls stream half the answer, then drop the connection.
/// - `[stall]`: the first call streams a little, then goes quiet for 5 s.
/// - `[suggest]`: the answer ends with the follow-up block the prompt asks for ("FOLLOW-UPS:" and two "- " lines).
/// - `[badsuggest]`: the answer ends with a follow-up block in the wrong shape.
///
/// Dialects of other servers: `[reasoning]` sends a `reasoning_content` delta before each piece
/// (vLLM, DeepSeek); `[usage]` ends with a chunk that has no choices, only usage; `[length]`
/// finishes with `finish_reason: "length"`; `[errorchunk]` (first call) sends an error object in
/// the middle of the stream and closes; `[nodone]` closes after the finish reason, with no `[DONE]`.
public final class LLMStandIn: Sendable {
    public struct Request: Sendable {
        public var question: String
        public var systemPrompt: String
        public var authorization: String?
        /// The roles of every message sent, in order (system, history..., user).
        public var roles: [String]
        /// The request's `max_tokens`.
        public var maxTokens: Int?
        /// Whether the request asked for usage (`stream_options.include_usage`).
        public var includeUsage: Bool?
        /// When it came.
        public var received: ContinuousClock.Instant = .now
    }

    /// When the stand-in received a request, wrote its first piece, and finished: its own share of
    /// a job's time, which benchmarks subtract.
    public struct Timing: Sendable {
        public var received: ContinuousClock.Instant
        public var firstPiece: ContinuousClock.Instant?
        public var finished: ContinuousClock.Instant?
        /// When the stand-in found its response cut short by the client (a stopped answer).
        public var closedByClient: ContinuousClock.Instant?
    }

    /// The per-chunk delay (the model's own "thinking" time).
    public let chunkDelay: Duration
    private let calls = Mutex<[String: Int]>([:])
    private let requestLog = Mutex<[Request]>([])
    private let timingLog = Mutex<[String: Timing]>([:])

    /// The timing of the last request for `question`.
    public func timing(for question: String) -> Timing? { timingLog.withLock { $0[question] } }
    private let server = Mutex<LocalServer?>(nil)

    public init(chunkDelay: Duration = .milliseconds(5)) {
        self.chunkDelay = chunkDelay
    }

    /// The base URL to give the worker as `LLM_BASE_URL`.
    public var baseURL: String { "http://127.0.0.1:\(server.withLock { $0?.port ?? 0 })/v1" }

    /// Every request received so far.
    public var requests: [Request] { requestLog.withLock { $0 } }

    /// The answer the stand-in gives to `question` when not scripted to fail.
    public static func answer(to question: String) -> String {
        "You asked: \(question). Here is a careful answer in several pieces, with unicode too: café, 数据, 🚀. Done."
    }

    /// The follow-ups a `[suggest]` answer lists.
    public static let suggestions = ["What is a token?", "How do I stream answers?"]

    /// The pieces the answer is streamed in (word by word, spaces kept).
    public static func pieces(of answer: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in answer {
            current.append(character)
            if character == " " {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    public func start() async throws {
        let router = Router()
        router.post("/v1/chat/completions") { request, context -> Response in
            try await self.respond(request, context: context)
        }
        let server = await LocalServer.start(router, label: "llm-stand-in")
        self.server.withLock { $0 = server }
    }

    public func stop() {
        server.withLock { $0 }?.stop()
    }

    private struct Body: Decodable {
        struct Message: Decodable {
            var role: String
            var content: String
        }

        var messages: [Message]
        var stream: Bool?
        var max_tokens: Int?
        var stream_options: StreamOptions?

        struct StreamOptions: Decodable {
            var include_usage: Bool?
        }
    }

    private func respond(_ request: Hummingbird.Request, context: some RequestContext) async throws -> Response {
        let body = try await request.decode(as: Body.self, context: context)
        let question = body.messages.last(where: { $0.role == "user" })?.content ?? ""
        let system = body.messages.first(where: { $0.role == "system" })?.content ?? ""
        requestLog.withLock { $0.append(Request(question: question, systemPrompt: system, authorization: request.headers[.authorization], roles: body.messages.map(\.role), maxTokens: body.max_tokens, includeUsage: body.stream_options?.include_usage)) }
        timingLog.withLock { $0[question] = Timing(received: .now) }
        let call = calls.withLock { calls in
            calls[question, default: 0] += 1
            return calls[question, default: 0]
        }
        if let failures = Self.count(after: "[503x", in: question), call <= failures {
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"overloaded"}"#)))
        }
        if let busy = Self.count(after: "[busyx", in: question), call <= busy {
            var headers = HTTPFields()
            headers[.retryAfter] = "2"
            return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"no free slot"}"#)))
        }
        if question.contains("[400]") {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"bad model"}}"#)))
        }
        var output = Self.answer(to: question)
        if question.contains("[suggest]") { output += "\n\nFOLLOW-UPS:\n- " + Self.suggestions.joined(separator: "\n- ") + "\n" }
        if question.contains("[badsuggest]") { output += "\n\nFOLLOW-UPS: {not a list} " }
        let pieces = Self.pieces(of: output)
        let cut = Self.count(after: "[cutx", in: question).map { call <= $0 } ?? false
        let stall = question.contains("[stall]") && call == 1
        let errorChunk = question.contains("[errorchunk]") && call == 1
        let reasoning = question.contains("[reasoning]")
        let finishReason = question.contains("[length]") ? "length" : "stop"
        var ending = Self.chunk(nil, finish: finishReason)
        if question.contains("[usage]") { ending += #"data: {"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59}}"# + "\n\n" }
        if !question.contains("[nodone]") { ending += "data: [DONE]\n\n" }
        let finalChunks = ending
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream"],
            body: ResponseBody { writer in
                do {
                    try await self.write(pieces, to: &writer, question: question, cut: cut, errorChunk: errorChunk, reasoning: reasoning, stall: stall, ending: finalChunks)
                } catch {
                    // A client that closes its request shows as a failed write, or as this task
                    // cancelled, within one piece's delay.
                    if !cut { self.timingLog.withLock { $0[question]?.closedByClient = .now } }
                    throw error
                }
            }
        )
    }

    private func write(
        _ pieces: [String], to writer: inout some ResponseBodyWriter, question: String, cut: Bool, errorChunk: Bool, reasoning: Bool, stall: Bool, ending finalChunks: String
    ) async throws {
        let delay = chunkDelay
        for (index, piece) in pieces.enumerated() {
            if cut && index == pieces.count / 2 {
                throw CancellationError()
            }
            if errorChunk && index == pieces.count / 2 {
                try await writer.write(ByteBuffer(string: #"data: {"error":{"message":"overloaded","type":"server_error"}}"# + "\n\n"))
                try await writer.finish(nil)
                return
            }
            if reasoning {
                try await writer.write(ByteBuffer(string: #"data: {"choices":[{"index":0,"delta":{"reasoning_content":"thinking..."},"finish_reason":null}]}"# + "\n\n"))
            }
            if stall && index == 2 {
                try await Task.sleep(for: .seconds(5))
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            try await writer.write(ByteBuffer(string: Self.chunk(piece)))
            if index == 0 { self.timingLog.withLock { $0[question]?.firstPiece = .now } }
        }
        try await writer.write(ByteBuffer(string: finalChunks))
        self.timingLog.withLock { $0[question]?.finished = .now }
        try await writer.finish(nil)
    }

    /// One `chat.completion.chunk` event, as OpenAI-compatible servers send it.
    static func chunk(_ text: String?, finish: String? = nil) -> String {
        // Answers repeat their words: each piece is encoded once (the encoding was most of the
        // load generator's own CPU in the throughput benchmark).
        let key = finish == nil ? text : nil
        if let key, let cached = encodedChunks.withLock({ $0[key] }) { return cached }
        let chunk = Chunk(choices: [.init(delta: .init(content: text), finish_reason: finish)])
        let json = (try? JSONEncoder().encode(chunk)) ?? Data()
        let line = "data: \(String(decoding: json, as: UTF8.self))\n\n"
        if let key { encodedChunks.withLock { $0[key] = line } }
        return line
    }

    private static let encodedChunks = Mutex<[String: String]>([:])

    private struct Chunk: Encodable {
        struct Choice: Encodable {
            struct Delta: Encodable {
                var content: String?
            }

            var index = 0
            var delta: Delta
            var finish_reason: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(delta, forKey: .delta)
                // Present and null until the last chunk, as the real API sends it.
                try container.encode(finish_reason, forKey: .finish_reason)
            }

            enum CodingKeys: String, CodingKey {
                case index, delta, finish_reason
            }
        }

        var choices: [Choice]
    }

    static func count(after marker: String, in question: String) -> Int? {
        guard let range = question.range(of: marker) else { return nil }
        return Int(question[range.upperBound...].prefix { $0.isNumber })
    }
}
