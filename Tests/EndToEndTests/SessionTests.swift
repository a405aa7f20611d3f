import Foundation
import SSE
import TestSupport
import Testing

/// Past conversations through the real services: listed, read back, deleted; owners only.
@Suite struct SessionTests {
    static let course = "ai-native-fullstack-developer"

    /// Asks as `token`'s user and waits for the answer; returns the job id.
    static func ask(_ system: TestSystem, _ question: String, session: String, token: String) async throws -> String {
        let accepted = try await TestHTTP.postJSON(
            "\(system.gatewayURL)/assistant/query", ["question": question, "courseId": course, "sessionId": session],
            headers: [("Authorization", "Bearer \(token)")]
        )
        #expect(accepted.status == 202, "\(accepted.body)")
        let body = try accepted.json()
        let stream = try await readEventStream(system.absolute(try #require(body["streamUrl"] as? String)))
        #expect(stream.data(of: "completed") != nil)
        return try #require(body["jobId"] as? String)
    }

    static func get(_ system: TestSystem, _ path: String, token: String?) async throws -> TestResponse {
        try await TestHTTP.get(system.gatewayURL + path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    @Test func aUsersConversationsAreListedReadBackAndDeleted() async throws {
        try await withTestSystem { system in
            let alice = try await system.userToken("alice")
            let bob = try await system.userToken("bob")
            let first = UUID().uuidString.lowercased()
            let second = UUID().uuidString.lowercased()
            let firstJob = try await Self.ask(system, "What is a stream?", session: first, token: alice)
            _ = try await Self.ask(system, "What is a token?", session: second, token: alice)
            _ = try await Self.ask(system, "And a heartbeat?", session: first, token: alice)
            _ = try await Self.ask(system, "Bob's own question", session: UUID().uuidString, token: bob)

            // Newest activity first, titled by the first question.
            let list = try await Self.get(system, "/assistant/sessions?courseId=\(Self.course)", token: alice)
            #expect(list.status == 200, "\(list.body)")
            let sessions = try #require(try list.json()["sessions"] as? [[String: Any]])
            #expect(sessions.compactMap { $0["sessionId"] as? String } == [first, second])
            #expect(sessions.first?["title"] as? String == "What is a stream?")
            #expect((sessions.first?["lastActivity"] as? String)?.hasSuffix("Z") == true)
            // A page of one, then the next from its cursor, then the end.
            let page1 = try await Self.get(system, "/assistant/sessions?limit=1", token: alice).json()
            #expect((page1["sessions"] as? [[String: Any]])?.compactMap { $0["sessionId"] as? String } == [first])
            let cursor = try #require(page1["nextCursor"] as? String)
            let page2 = try await Self.get(system, "/assistant/sessions?limit=1&cursor=\(cursor)", token: alice).json()
            #expect((page2["sessions"] as? [[String: Any]])?.compactMap { $0["sessionId"] as? String } == [second])
            #expect(page2["nextCursor"] is NSNull, "no page after the last")

            // One conversation: its messages in order, answers with their sources.
            let read = try await Self.get(system, "/assistant/sessions/\(first)", token: alice)
            #expect(read.status == 200, "\(read.body)")
            let messages = try #require(try read.json()["messages"] as? [[String: Any]])
            #expect(messages.compactMap { $0["role"] as? String } == ["user", "assistant", "user", "assistant"])
            #expect(messages.first?["content"] as? String == "What is a stream?")
            #expect(messages[1]["content"] as? String == LLMStandIn.answer(to: "What is a stream?"))
            #expect((messages[1]["sources"] as? [Any])?.isEmpty == false, "the answer's sources")
            #expect(messages[1]["stopped"] as? Bool == false)
            #expect((try read.json()["running"] as? [Any])?.isEmpty == true)

            // Another user's: 403; the other assistant's path: 404.
            #expect(try await Self.get(system, "/assistant/sessions/\(first)", token: bob).errorCode == "session_not_yours")
            #expect(try await Self.get(system, "/api/landing-assistant/sessions/\(first)", token: nil).status == 404)
            let bobDelete = try await TestHTTP.request(.DELETE, system.gatewayURL + "/assistant/sessions/\(first)", headers: [("Authorization", "Bearer \(bob)")])
            #expect(bobDelete.status == 403)

            // Deleted for good: the conversation, its list entry, its jobs.
            let deleted = try await TestHTTP.request(.DELETE, system.gatewayURL + "/assistant/sessions/\(first)", headers: [("Authorization", "Bearer \(alice)")])
            #expect(deleted.status == 204)
            #expect(try await Self.get(system, "/assistant/sessions/\(first)", token: alice).errorCode == "session_not_found")
            #expect(try await Self.get(system, "/assistant/job/\(firstJob)", token: alice).status == 404, "its old job polls 404")
            let after = try await Self.get(system, "/assistant/sessions", token: alice).json()
            #expect((after["sessions"] as? [[String: Any]])?.compactMap { $0["sessionId"] as? String } == [second])
        }
    }

    @Test func aRunningAnswerAndAStoppedOneReadBack() async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(150))) { system in
            // The landing guide: whoever holds the session id reads it.
            let session = UUID().uuidString.lowercased()
            // A long question: the stand-in's answer repeats it, so it is still being written when
            // it is stopped, however loaded the machine (about 10 s).
            let question = "Stop me halfway, " + String(repeating: "and then some more about it, ", count: 10) + "and the end"
            let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question, "sessionId": session])
            let body = try accepted.json()
            let streamURL = system.absolute(try #require(body["streamUrl"] as? String))
            let shown = try await readEventStream(streamURL) { $0.filter { $0.event == "delta" }.count >= 2 }

            // Mid-answer, after a reload: the running job, with a fresh stream URL that works.
            let during = try await Self.get(system, "/api/landing-assistant/sessions/\(session)", token: nil).json()
            let running = try #require((during["running"] as? [[String: Any]])?.first)
            #expect(running["question"] as? String == question && running["status"] as? String == "PROCESSING")
            let resumed = try await readEventStream(system.absolute(try #require(running["streamUrl"] as? String)), headers: [("Last-Event-ID", try #require(shown.events.last { $0.id != nil }?.id))]) {
                $0.contains { $0.event == "delta" }
            }
            #expect(resumed.status == 200 && !resumed.deltaText.isEmpty)

            let stop = try await TestHTTP.request(.POST, system.gatewayURL + (try #require(running["cancelUrl"] as? String)), headers: [("Authorization", "Bearer \(try #require(URLComponents(string: streamURL)?.queryItems?.first { $0.name == "token" }?.value))")])
            #expect(stop.status == 202)
            let end = try await readEventStream(streamURL)
            let partial = try #require(end.data(of: "failed")?["answer"] as? String)

            // The partial answer is in the conversation once, marked as stopped.
            let after = try await Self.get(system, "/api/landing-assistant/sessions/\(session)", token: nil).json()
            let messages = try #require(after["messages"] as? [[String: Any]])
            #expect(messages.compactMap { $0["content"] as? String } == [question, partial])
            #expect(messages.compactMap { $0["stopped"] as? Bool } == [false, true])
            #expect((after["running"] as? [Any])?.isEmpty == true)
            // Anyone with the id deletes it.
            let deleted = try await TestHTTP.request(.DELETE, system.gatewayURL + "/api/landing-assistant/sessions/\(session)")
            #expect(deleted.status == 204)
            #expect(try await Self.get(system, "/api/landing-assistant/sessions/\(session)", token: nil).status == 404)
        }
    }

    @Test func badRequestsGetTheContractsErrors() async throws {
        try await withTestSystem { system in
            let alice = try await system.userToken("alice")
            let cases: [(String, String?, Int, String)] = [
                ("/assistant/sessions", nil, 401, "missing_token"),
                ("/assistant/sessions", "forged", 401, "invalid_token"),
                ("/assistant/sessions?limit=0", alice, 400, "invalid_limit"),
                ("/assistant/sessions?limit=many", alice, 400, "invalid_limit"),
                ("/assistant/sessions?cursor=nonsense", alice, 400, "invalid_cursor"),
                ("/assistant/sessions?courseId=no-such-course", alice, 404, "course_not_found"),
                ("/assistant/sessions/not-a-uuid", alice, 400, "invalid_session_id"),
                ("/assistant/sessions/\(UUID())", alice, 404, "session_not_found"),
                ("/assistant/sessions/\(UUID())", nil, 401, "missing_token"),
                ("/api/landing-assistant/sessions/not-a-uuid", nil, 400, "invalid_session_id"),
                ("/api/landing-assistant/sessions/\(UUID())", nil, 404, "session_not_found"),
            ]
            for (path, token, status, code) in cases {
                let response = try await Self.get(system, path, token: token)
                #expect(response.status == status && response.errorCode == code, "\(path): \(response.status) \(response.body)")
                #expect(response.errorMessage?.isEmpty == false)
            }
            let empty = try await Self.get(system, "/assistant/sessions", token: alice).json()
            #expect((empty["sessions"] as? [Any])?.isEmpty == true && empty["nextCursor"] is NSNull)
        }
    }

    @Test func anonymousReadsAreRateLimitedPerClient() async throws {
        try await withTestSystem(environment: ["ANON_READ_RATE_LIMIT": "3"]) { system in
            let session = UUID().uuidString.lowercased()
            for _ in 0..<3 {
                #expect(try await Self.get(system, "/api/landing-assistant/sessions/\(session)", token: nil).status == 404)
            }
            let limited = try await Self.get(system, "/api/landing-assistant/sessions/\(session)", token: nil)
            #expect(limited.status == 429 && limited.errorCode == "rate_limited", "\(limited.body)")
            #expect(limited.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
            let deletion = try await TestHTTP.request(.DELETE, system.gatewayURL + "/api/landing-assistant/sessions/\(session)")
            #expect(deletion.status == 429)
            let stop = try await TestHTTP.request(.POST, system.gatewayURL + "/api/landing-assistant/job/\(UUID())/cancel")
            #expect(stop.status == 429, "stops count against the same bound")
            // Questions have a bound of their own.
            let asked = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "Still allowed?"])
            #expect(asked.status == 202)
        }
    }
}
