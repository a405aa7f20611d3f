import EventLog
import Foundation
import TestSupport
import Testing

/// Transient LLM failures are retried and the browser never sees text twice; permanent ones fail at once.
@Suite(.serialized)
struct RetryFlowTests {
    @Test(arguments: EventLogKind.allCases) func transientFailuresAreRetriedUntilTheAnswerCompletes(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog) { system in
            for question in ["Overloaded [503x2]", "Cut off [cutx1]", "Failed mid-answer [errorchunk]"] {
                let (jobId, url) = try await StreamTests.ask(system, question)
                let stream = try await readEventStream(url)
                let answer = try #require(stream.data(of: "completed")?["answer"] as? String, "\(stream.raw)")
                #expect(answer == LLMStandIn.answer(to: question))
                #expect(stream.deltaText == answer)
                // Deterministic retries continue where the browser stands: no reset, no repeated text.
                #expect(!stream.events.contains { $0.event == "reset" })
                let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)")
                #expect((try poll.json()["result"] as? [String: Any])?["answer"] as? String == answer)
            }
        }
    }

    /// A busy server (429 with `Retry-After`, as llama.cpp's and hosted APIs send) is asked again
    /// no sooner than it said, though the retry policy alone would have come back at once.
    @Test func aBusyServerIsAskedAgainNoSoonerThanItsRetryAfter() async throws {
        try await withTestSystem { system in
            let question = "One slot only [busyx1]"
            let (_, url) = try await StreamTests.ask(system, question)
            let stream = try await readEventStream(url)
            #expect(stream.data(of: "completed")?["answer"] as? String == LLMStandIn.answer(to: question))
            let calls = system.llm.requests.filter { $0.question == question }
            try #require(calls.count == 2)
            // JOB_RETRY_BASE_MS is 50 in tests: only the header explains a wait of two seconds.
            #expect(calls[1].received - calls[0].received >= .milliseconds(1900))
        }
    }

    /// A model stopped at its length limit: the answer is kept, and says it was cut short.
    @Test(arguments: EventLogKind.allCases) func anAnswerAtTheLengthLimitIsKeptAndMarkedAsCutShort(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog) { system in
            let question = "Go on and on [length]"
            let (_, url) = try await StreamTests.ask(system, question)
            let stream = try await readEventStream(url)
            let answer = try #require(stream.data(of: "completed")?["answer"] as? String, "\(stream.raw)")
            #expect(answer.hasPrefix(LLMStandIn.answer(to: question)))
            #expect(answer.hasSuffix("it reached its length limit.)"))
            #expect(stream.deltaText == answer)
        }
    }

    @Test(arguments: EventLogKind.allCases) func aStallPastTheIdleTimeoutIsRetriedAndCompletes(eventLog: EventLogKind) async throws {
        // 1 s of silence ends an attempt; the stand-in's first attempt stalls for 5 s.
        try await withTestSystem(eventLog: eventLog, environment: ["LLM_IDLE_TIMEOUT_SECONDS": "1"]) { system in
            let question = "Wait for me [stall]"
            let (_, url) = try await StreamTests.ask(system, question)
            let stream = try await readEventStream(url)
            let answer = try #require(stream.data(of: "completed")?["answer"] as? String, "\(stream.raw)")
            #expect(answer == LLMStandIn.answer(to: question))
            #expect(stream.deltaText == answer, "the stalled attempt's text is not repeated")
            // The stalled attempt was given up and another made (on a loaded machine a slow start
            // can cost one more; what matters is that the text never repeats).
            #expect(system.llmRequests(for: question) >= 2)
        }
    }

    @Test func aRejectedRequestFailsAtOnceWithAReadableMessage() async throws {
        try await withTestSystem { system in
            let question = "Refused [400]"
            let (jobId, url) = try await StreamTests.ask(system, question)
            let stream = try await readEventStream(url)
            let failed = try #require(stream.data(of: "failed"), "\(stream.raw)")
            #expect(failed["code"] as? String == "llm_rejected")
            #expect((failed["error"] as? String)?.contains("rejected") == true)
            #expect(stream.events.last?.id != nil)
            let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)")
            let status = try poll.json()
            #expect(status["status"] as? String == "FAILED")
            #expect((status["errorMessage"] as? String)?.isEmpty == false)
            #expect(system.llmRequests(for: question) == 1)
        }
    }
}
