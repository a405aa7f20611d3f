import Foundation
import TestSupport
import Testing

/// Answers grounded in the course: the offline engine, suggestions from the model, and
/// conversations that never duplicate a message.
@Suite(.serialized)
struct CourseKnowledgeTests {
    static func askTutor(_ system: TestSystem, _ question: String, user: String = "learner", sessionId: String? = nil) async throws -> (jobId: String, streamURL: String) {
        var body: [String: Any] = ["question": question, "courseId": "ai-native-fullstack-developer"]
        if let sessionId { body["sessionId"] = sessionId }
        let accepted = try await TestHTTP.postJSON(
            "\(system.gatewayURL)/assistant/query", body, headers: [("Authorization", "Bearer \(try await system.userToken(user))")]
        )
        let json = try accepted.json()
        return (try #require(json["jobId"] as? String, "\(accepted.body)"), system.absolute(try #require(json["streamUrl"] as? String)))
    }

    static func messageCounts(_ system: TestSystem, job: String) async throws -> [Int] {
        try await TestDatabase.integers(
            "SELECT count(*)::int8 FROM chat_messages WHERE job_id = '\(job)' GROUP BY role ORDER BY role", on: system.databaseURL
        )
    }

    @Test func theOfflineEngineQuotesTheRightLesson() async throws {
        try await withTestSystem(environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "0"]) { system in
            let cases = [
                ("What does the temperature setting do when sampling the next token?", "How Large Language Models Work"),
                ("How does a browser resume a stream with Last-Event-ID after a reconnect?", "Streaming Responses to the Browser"),
            ]
            for (question, lesson) in cases {
                let (jobId, url) = try await Self.askTutor(system, question)
                let stream = try await readEventStream(url)
                let completed = try #require(stream.data(of: "completed"), "\(stream.raw)")
                let answer = try #require(completed["answer"] as? String)
                #expect(answer.contains("From “\(lesson)”"), "\(answer)")
                #expect(answer.contains("Built from course excerpts"))
                #expect(stream.deltaText == answer)
                // Streamed, not sent whole: the first piece at once, and (at no pace) the burst after
                // it coalesced by the spooler into few deltas.
                #expect(stream.events.filter { $0.event == "delta" }.count >= 2)
                let suggestions = try #require(completed["nextSuggestions"] as? [String])
                #expect((2...3).contains(suggestions.count), "\(suggestions)")
                let sources = try #require(completed["sources"] as? [[String: Any]])
                #expect(sources.first?["lessonTitle"] as? String == lesson)
                // The sources are what the answer quotes, nothing it does not.
                #expect(sources.allSatisfy { answer.contains("From “\($0["lessonTitle"] as? String ?? "?")”") }, "\(sources)")
                #expect(try await Self.messageCounts(system, job: jobId) == [1, 1])
            }
            // Nothing in the material: the answer says so rather than inventing.
            let (_, url) = try await Self.askTutor(system, "zebra giraffe marmalade")
            let answer = try #require(try await readEventStream(url).data(of: "completed")?["answer"] as? String)
            #expect(answer.contains("could not find"))
            #expect(system.worker.log.contains("retrieval found no material"))
        }
    }

    @Test func theLandingGuideAnswersFromTheLandingPages() async throws {
        try await withTestSystem(environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "0"]) { system in
            let (_, url) = try await StreamTests.ask(system, "Is there a refund policy if I change my mind?")
            let completed = try #require(try await readEventStream(url).data(of: "completed"))
            let sources = try #require(completed["sources"] as? [[String: Any]])
            #expect(sources.first?["lessonTitle"] as? String == "Plans and Pricing", "\(sources)")
            #expect(sources.allSatisfy { ($0["chunkId"] as? String)?.hasPrefix("landing/") == true })
        }
    }

    @Test func modelSuggestionsAreParsedAndNeverShown() async throws {
        try await withTestSystem { system in
            let (_, url) = try await Self.askTutor(system, "How do tokens work? [suggest]")
            let stream = try await readEventStream(url)
            let completed = try #require(stream.data(of: "completed"))
            #expect(completed["nextSuggestions"] as? [String] == LLMStandIn.suggestions)
            #expect(!stream.deltaText.contains("FOLLOW-UPS"))
            #expect(stream.deltaText == completed["answer"] as? String)

            let (jobId, badURL) = try await Self.askTutor(system, "How do tokens work? [badsuggest]")
            let bad = try #require(try await readEventStream(badURL).data(of: "completed"), "a malformed block never fails the job")
            #expect(bad["nextSuggestions"] as? [String] == [])
            #expect(try await Self.messageCounts(system, job: jobId) == [1, 1])
        }
    }

    @Test func conversationsCarryHistoryIntoThePrompt() async throws {
        try await withTestSystem { system in
            let (firstJob, firstURL) = try await Self.askTutor(system, "What is a context window?")
            let first = try #require(try await readEventStream(firstURL).data(of: "completed"))
            let session = try #require(first["sessionId"] as? String)
            let (_, secondURL) = try await Self.askTutor(system, "And how big can it be?", sessionId: session)
            _ = try await readEventStream(secondURL)
            #expect(try await Self.messageCounts(system, job: firstJob) == [1, 1])
            // The model saw the first turn as history.
            let second = try #require(system.llm.requests.last { $0.question == "And how big can it be?" })
            #expect(second.roles == ["system", "user", "assistant", "user"])
            let sessionMessages = try await TestDatabase.integers(
                "SELECT count(*)::int8 FROM chat_messages WHERE session_id = '\(session)'", on: system.databaseURL
            )
            #expect(sessionMessages == [4])
        }
    }

    @Test func aRetriedJobAddsEachMessageOnce() async throws {
        try await withTestSystem { system in
            let (jobId, url) = try await Self.askTutor(system, "Tell me about tokens [cutx2]")
            let stream = try await readEventStream(url)
            #expect(stream.data(of: "completed") != nil)
            #expect(system.llmRequests(for: "Tell me about tokens [cutx2]") == 3)
            #expect(try await Self.messageCounts(system, job: jobId) == [1, 1])
        }
    }
}
