import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import SSE
import Synchronization

/// Calls any OpenAI-compatible `/chat/completions` endpoint with `stream: true` and hands each
/// piece of the answer over as it arrives.
public struct ChatCompletionClient: Sendable {
    public struct Configuration: Sendable {
        /// The API base, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
        public var baseURL: String
        public var apiKey: String?
        public var model: String
        /// The longest a whole answer may take.
        public var requestTimeout: Duration = .seconds(120)
        /// The longest the model may go quiet in the middle of an answer.
        public var idleTimeout: Duration = .seconds(20)
        public var temperature: Double? = 0.3
        /// The most tokens one answer may take (`max_tokens`): a model that never stops is stopped.
        public var maximumTokens: Int? = 1024

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

    private struct RequestBody: Encodable {
        var model: String
        var messages: [ChatMessage]
        var stream = true
        var temperature: Double?
        var maxTokens: Int?
        /// Asks for the token counts in a last chunk; servers that do not know it ignore it.
        var streamOptions = StreamOptions()

        struct StreamOptions: Encodable {
            var include_usage = true
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature
            case maxTokens = "max_tokens"
            case streamOptions = "stream_options"
        }
    }

    /// How a completed answer ended.
    public struct Completion: Sendable {
        /// The model stopped at its length limit (`finish_reason: "length"`): the answer is cut short.
        public var reachedLengthLimit = false
        /// The tokens of the prompt and of the completion, when the server reported usage.
        public var promptTokens: Int?
        public var completionTokens: Int?
    }

    /// Streams the completion of `messages`, calling `onDelta` with each piece of text.
    @discardableResult
    public func complete(
        messages: [ChatMessage],
        onDelta: @escaping @Sendable (String) async throws -> Void
    ) async throws(LLMError) -> Completion {
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let apiKey = configuration.apiKey, !apiKey.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        }
        let body = RequestBody(
            model: configuration.model, messages: messages, temperature: configuration.temperature, maxTokens: configuration.maximumTokens
        )
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        } catch {
            throw LLMError(.rejected, "The request could not be encoded: \(error)")
        }

        let prepared = request
        let started = ContinuousClock.now
        do {
            defer { Timer(label: "tutorline_llm_request_seconds").record(duration: ContinuousClock.now - started) }
            return try await completeMeasured(prepared, onDelta: onDelta)
        } catch {
            Counter(label: "tutorline_llm_errors_total", dimensions: [("code", error.code.rawValue)]).increment()
            throw error
        }
    }

    private func completeMeasured(
        _ prepared: HTTPClientRequest, onDelta: @escaping @Sendable (String) async throws -> Void
    ) async throws(LLMError) -> Completion {
        let completion = Mutex(Completion())
        do {
            try await withIdleWatchdog { touch in
                let response = try await http.execute(prepared, timeout: .nanoseconds(Int64(configuration.requestTimeout.nanoseconds)), logger: logger)
                guard (200..<300).contains(response.status.code) else {
                    let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
                    throw LLMError.forStatus(Int(response.status.code), body: text, retryAfter: response.headers.first(name: "Retry-After"))
                }
                let isEventStream = response.headers.first(name: "Content-Type")?.contains("text/event-stream") ?? true
                if isEventStream {
                    let ended = try await readEventStream(response.body, touch: touch, onDelta: onDelta)
                    completion.withLock { $0 = ended }
                } else {
                    try await readWholeResponse(response.body, onDelta: onDelta)
                }
            }
            return completion.withLock { $0 }
        } catch let error as LLMError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw LLMError(.timedOut, "The language model did not answer in time.")
        } catch is CancellationError {
            throw LLMError(.timedOut, "The language model went quiet for longer than \(configuration.idleTimeout).")
        } catch {
            throw LLMError(.unavailable, "The language model could not be reached: \(error)")
        }
    }

    private func readEventStream(
        _ body: HTTPClientResponse.Body, touch: @Sendable () -> Void, onDelta: @Sendable (String) async throws -> Void
    ) async throws -> Completion {
        var parser = EventStreamParser()
        let decoder = JSONDecoder()
        var finished = false
        var completion = Completion()
        for try await buffer in body {
            touch()
            // Pieces that arrived in one read go on as one: they would reach the browser at the
            // same instant anyway, and each costs a spool append and a wake-up of every reader.
            var arrived = ""
            for event in parser.feed(buffer.readableBytesView) {
                if event.data == "[DONE]" {
                    finished = true
                    continue
                }
                let chunk: ChatCompletionChunk
                do {
                    chunk = try decoder.decode(ChatCompletionChunk.self, from: Data(event.data.utf8))
                } catch {
                    throw LLMError(.malformedResponse, "The language model sent a chunk that is not JSON.")
                }
                if let failure = chunk.error {
                    // A provider failing mid-answer (overloaded, usually): worth another attempt.
                    throw LLMError(.unavailable, "The language model failed in the middle of its answer.", detail: failure.message)
                }
                if let usage = chunk.usage {
                    Counter(label: "tutorline_llm_tokens_total", dimensions: [("kind", "prompt")]).increment(by: usage.prompt_tokens ?? 0)
                    Counter(label: "tutorline_llm_tokens_total", dimensions: [("kind", "completion")]).increment(by: usage.completion_tokens ?? 0)
                    completion.promptTokens = usage.prompt_tokens
                    completion.completionTokens = usage.completion_tokens
                }
                for choice in chunk.choices {
                    if let text = choice.delta?.content { arrived += text }
                    if let reason = choice.finish_reason {
                        finished = true
                        if reason == "length" { completion.reachedLengthLimit = true }
                    }
                }
            }
            if !arrived.isEmpty { try await onDelta(arrived) }
        }
        guard finished else {
            throw LLMError(.streamCut, "The language model's stream ended before the answer was complete.")
        }
        return completion
    }

    private func readWholeResponse(_ body: HTTPClientResponse.Body, onDelta: @Sendable (String) async throws -> Void) async throws {
        let buffer = try await body.collect(upTo: 4 * 1024 * 1024)
        guard let chunk = try? JSONDecoder().decode(ChatCompletionChunk.self, from: Data(buffer.readableBytesView)),
            let text = chunk.choices.first?.message?.content
        else {
            throw LLMError(.malformedResponse, "The language model's response had no message.")
        }
        try await onDelta(text)
    }

    /// Runs `operation`, cancelling it when `touch` has not been called for the idle timeout.
    private func withIdleWatchdog(_ operation: @Sendable @escaping (@Sendable () -> Void) async throws -> Void) async throws {
        let lastActivity = ActivityMark()
        let idleLimit = Int64(configuration.idleTimeout.nanoseconds)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await operation { lastActivity.touch() }
                return true
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    if lastActivity.nanosecondsSinceTouch() > idleLimit { return false }
                }
            }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished {
                throw LLMError(.timedOut, "The language model went quiet for longer than \(configuration.idleTimeout).")
            }
        }
    }

}

/// When a stream last showed signs of life.
final class ActivityMark: Sendable {
    private let nanoseconds = Atomic<Int64>(ActivityMark.now())

    func touch() { nanoseconds.store(Self.now(), ordering: .relaxed) }

    func nanosecondsSinceTouch() -> Int64 { Self.now() - nanoseconds.load(ordering: .relaxed) }

    private static func now() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds) }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
