import Foundation
import Jobs
import LLM
import Logging
import AsyncHTTPClient
import TestSupport
import Testing

@Suite struct RetryPolicyTests {
    @Test func retryAfterIsReadAsSecondsOrAsADate() throws {
        #expect(LLMError.forStatus(429, body: "", retryAfter: "7").retryAfter == .seconds(7))
        #expect(LLMError.forStatus(503, body: "", retryAfter: " 0 ").retryAfter == .zero)
        let inAMinute = Date().addingTimeInterval(60)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let wait = try #require(LLMError.forStatus(429, body: "", retryAfter: formatter.string(from: inAMinute)).retryAfter)
        #expect(wait > .seconds(55) && wait <= .seconds(60))
        #expect(LLMError.forStatus(429, body: "", retryAfter: "soon").retryAfter == nil)
        #expect(LLMError.forStatus(429, body: "").retryAfter == nil)
        #expect(LLMError.forStatus(503, body: "").isTransient)
    }

    @Test func delaysGrowWithJitterAndStayCapped() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        for attempt in 1...10 {
            let bound = min(Duration.milliseconds(100) * (1 << (attempt - 1)), .seconds(2))
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= bound / 2 && delay <= bound, "attempt \(attempt): \(delay)")
            }
        }
    }

    @Test(arguments: [(429, true), (500, true), (502, true), (503, true), (408, true), (400, false), (401, false), (403, false), (404, false), (422, false)])
    func classifiesHTTPStatuses(status: Int, transient: Bool) {
        #expect(LLMError.forStatus(status, body: "").isTransient == transient)
    }
}

/// The LLM client against the streaming stand-in: each failure lands in the right class.
@Suite(.serialized) struct ChatCompletionClientTests {
    func client(_ standIn: LLMStandIn, idleTimeout: Duration = .seconds(20)) -> ChatCompletionClient {
        var configuration = ChatCompletionClient.Configuration(baseURL: standIn.baseURL, apiKey: "test-key", model: "m")
        configuration.idleTimeout = idleTimeout
        return ChatCompletionClient(http: .shared, configuration: configuration, logger: Logger(label: "test"))
    }

    func run(_ question: String, idleTimeout: Duration = .seconds(20)) async throws -> Result<String, LLMError> {
        let standIn = LLMStandIn(chunkDelay: .milliseconds(1))
        try await standIn.start()
        defer { standIn.stop() }
        let pieces = PieceCollector()
        do {
            try await client(standIn, idleTimeout: idleTimeout).complete(messages: [.init(role: .user, content: question)]) { piece in
                pieces.add(piece)
            }
            #expect(standIn.requests.first?.authorization == "Bearer test-key")
            return .success(pieces.text)
        } catch {
            return .failure(error)
        }
    }

    @Test func streamsTheAnswerPieceByPiece() async throws {
        #expect(try await run("hello").get() == LLMStandIn.answer(to: "hello"))
    }

    @Test func serverErrorsAreTransient() async throws {
        guard case .failure(let error) = try await run("q [503x1]") else { Issue.record("expected a failure"); return }
        #expect(error.code == .unavailable && error.isTransient && error.status == 503)
    }

    @Test func badRequestsArePermanent() async throws {
        guard case .failure(let error) = try await run("q [400]") else { Issue.record("expected a failure"); return }
        #expect(error.code == .rejected && !error.isTransient)
    }

    @Test func aCutStreamIsTransient() async throws {
        guard case .failure(let error) = try await run("q [cutx1]") else { Issue.record("expected a failure"); return }
        #expect(error.isTransient)
    }

    @Test func aStallPastTheIdleTimeoutIsTransient() async throws {
        guard case .failure(let error) = try await run("q [stall]", idleTimeout: .milliseconds(500)) else { Issue.record("expected a failure"); return }
        #expect(error.code == .timedOut && error.isTransient)
    }

    /// Other servers' dialects: the answer comes through whole, and nothing else does.
    @Test(arguments: ["q [reasoning]", "q [usage]", "q [nodone]", "q [reasoning] [usage] [nodone]"])
    func dialectsOfOtherServersReadAsTheAnswer(question: String) async throws {
        let text = try await run(question).get()
        #expect(text == LLMStandIn.answer(to: question))
        #expect(!text.contains("thinking"), "reasoning is not the answer")
    }

    @Test func anErrorInTheMiddleOfTheStreamIsTransient() async throws {
        guard case .failure(let error) = try await run("q [errorchunk]") else { Issue.record("expected a failure"); return }
        #expect(error.code == .unavailable && error.isTransient)
        #expect(error.detail == "overloaded")
    }

    @Test func everyRequestIsBoundedAndAsksForUsage() async throws {
        let standIn = LLMStandIn(chunkDelay: .milliseconds(1))
        try await standIn.start()
        defer { standIn.stop() }
        let completion = try await client(standIn).complete(messages: [.init(role: .user, content: "long [length]")]) { _ in }
        #expect(completion.reachedLengthLimit, "finish_reason length is reported, not failed")
        #expect(standIn.requests.first?.maxTokens == 1024)
        #expect(standIn.requests.first?.includeUsage == true)
        #expect(completion.promptTokens == nil, "no usage reported, none made up")
        // A server that reports usage: the figures come back, to be stored on the job.
        let reported = try await client(standIn).complete(messages: [.init(role: .user, content: "q [usage]")]) { _ in }
        #expect(reported.promptTokens == 42 && reported.completionTokens == 17)
    }
}

import Synchronization

final class PieceCollector: Sendable {
    private let pieces = Mutex<[String]>([])
    func add(_ piece: String) { pieces.withLock { $0.append(piece) } }
    var text: String { pieces.withLock { $0.joined() } }
}
