import EventLog
import Foundation
import SSE
import StreamTokens
import Synchronization
import TestSupport
import Testing

/// The stream service: replay, resume, end states and its error table, against the real executables.
@Suite(.serialized)
struct StreamTests {
    /// Posts a landing question; returns the job id and the full stream URL.
    static func ask(_ system: TestSystem, _ question: String) async throws -> (jobId: String, streamURL: String) {
        let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question])
        let body = try accepted.json()
        return (try #require(body["jobId"] as? String), system.absolute(try #require(body["streamUrl"] as? String)))
    }

    @Test(arguments: EventLogKind.allCases) func aReconnectWithLastEventIDGetsExactlyTheRest(eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(60)), eventLog: eventLog) { system in
            let question = "Tell me about resuming"
            let (_, url) = try await Self.ask(system, question)
            let first = try await readEventStream(url) { events in events.filter { $0.event == "delta" }.count >= 3 }
            let lastId = try #require(first.events.last?.id)
            #expect(first.data(of: "completed") == nil)

            let rest = try await readEventStream(url, headers: [("Last-Event-ID", lastId)])
            let firstIds = first.events.compactMap { $0.id.flatMap(Int.init) }
            let restIds = rest.events.compactMap { $0.id.flatMap(Int.init) }
            #expect(restIds.first == (Int(lastId) ?? 0) + 1, "nothing lost")
            #expect(Set(firstIds).isDisjoint(with: restIds), "nothing twice")
            let answer = try #require(rest.data(of: "completed")?["answer"] as? String)
            #expect(first.deltaText + rest.deltaText == answer)
            #expect(answer == LLMStandIn.answer(to: question))

            // The same through the lastEventId parameter, once the job has ended: replay then the end, at once.
            let viaQuery = try await readEventStream(url + "&lastEventId=\(lastId)")
            #expect(viaQuery.events.compactMap(\.id) == rest.events.compactMap(\.id))
            #expect(viaQuery.deltaText == rest.deltaText)
        }
    }

    /// `timeout` means no progress: an answer whose pieces keep coming for longer than the stream
    /// timeout is streamed to its end (the contract's wording).
    @Test(arguments: EventLogKind.allCases) func aStreamThatKeepsReceivingDeltasIsNeverTimedOut(eventLog: EventLogKind) async throws {
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(300)), eventLog: eventLog, environment: ["STREAM_TIMEOUT_SECONDS": "2"]) { system in
            let question = "A slow model, a long answer"
            let (_, url) = try await Self.ask(system, question)
            let started = ContinuousClock.now
            let stream = try await readEventStream(url)
            #expect(ContinuousClock.now - started > .seconds(3), "the answer took longer than the stream timeout")
            #expect(!stream.events.contains { $0.event == "timeout" })
            #expect(stream.data(of: "completed")?["answer"] as? String == LLMStandIn.answer(to: question))
        }
    }

    @Test(arguments: EventLogKind.allCases) func aLateClientGetsTheReplayAndThenA204(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog) { system in
            let (jobId, url) = try await Self.ask(system, "Late?")
            let live = try await readEventStream(url)
            let terminalId = try #require(live.events.last(where: { $0.event == "completed" })?.id)

            let replay = try await readEventStream(url)
            // The live client may also have had a status from the store before the spool file
            // existed (no id); every spooled event comes again, the same.
            let spooled = live.events.filter { $0.id != nil }
            #expect(replay.events.map(\.id) == spooled.map(\.id))
            #expect(replay.events.map(\.data) == spooled.map(\.data))

            let done = try await readEventStream(url, headers: [("Last-Event-ID", terminalId)])
            #expect(done.status == 204)
            let poll = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/job/\(jobId)")
            #expect(try poll.json()["status"] as? String == "COMPLETED")
        }
    }

    @Test(arguments: EventLogKind.allCases) func aQueuedJobGetsStatusHeartbeatsAndThenTimeout(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog, environment: ["STREAM_TIMEOUT_SECONDS": "2.5", "STREAM_HEARTBEAT_SECONDS": "1"]) { system in
            await system.worker.stop()
            let (_, url) = try await Self.ask(system, "Anyone there?")
            let stream = try await readEventStream(url)
            #expect(stream.events.first?.event == "status")
            #expect(stream.data(of: "status")?["status"] as? String == "QUEUED")
            #expect(stream.comments >= 1)
            #expect(stream.raw.contains(": heartbeat\n\n"))
            #expect(stream.events.last?.event == "timeout")
            #expect(stream.events.last?.data == "{}")
        }
    }

    @Test(arguments: EventLogKind.allCases) func aClientThatLeavesIsReleasedAtOnce(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog, environment: ["STREAM_HEARTBEAT_SECONDS": "1"]) { system in
            await system.worker.stop()
            let (_, url) = try await Self.ask(system, "Nobody will wait for this")
            // The browser waits (heartbeats each second) until told to leave.
            let leave = LeaveSignal()
            let reading = Task { try await readEventStream(url) { _ in leave.given } }
            var open = try await Self.openConnections(system)
            for _ in 0..<250 where open != 1 {
                try await Task.sleep(for: .milliseconds(20))
                open = try await Self.openConnections(system)
            }
            #expect(open == 1, "a waiting browser is counted")
            leave.give()
            let first = try await reading.value
            #expect(first.events.first?.event == "status")
            // The client has gone; its connection, subscription and task are released without waiting
            // for a heartbeat or the stream timeout.
            #expect(try await Self.openConnectionsOnceReleased(system) == 0)
        }
    }

    @Test(arguments: EventLogKind.allCases) func aStreamThatEndedOnAKeptAliveConnectionIsReleased(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog) { system in
            let (_, url) = try await Self.ask(system, "Short and sweet")
            let stream = try await readEventStream(url, keepAlive: true)
            #expect(stream.data(of: "completed") != nil)
            // The connection stays open in the client's pool; the stream's subscription must not.
            #expect(try await Self.openConnectionsOnceReleased(system) == 0)
        }
    }

    @Test func requestsOnOneConnectionAreAnsweredInTheirOrderStreamsAndRoutesAlike() async throws {
        try await withTestSystem(environment: ["CORS_ORIGINS": "http://app.example"]) { system in
            let (_, url) = try await Self.ask(system, "One connection?")
            let whole = try await readEventStream(url)
            let lastId = try #require(whole.events.last?.id)
            let target = String(url.dropFirst(system.streamURL.count))
            // Pipelined, as a client library never does: a stream (replayed whole, the job is done),
            // a preflight for the router, a stream already seen to its end (204), and the health check.
            let raw = [
                "GET \(target) HTTP/1.1\r\nHost: t\r\nOrigin: http://app.example\r\n\r\n",
                "OPTIONS \(target) HTTP/1.1\r\nHost: t\r\nOrigin: http://app.example\r\nAccess-Control-Request-Method: GET\r\n\r\n",
                "GET \(target) HTTP/1.1\r\nHost: t\r\nLast-Event-ID: \(lastId)\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            ].joined()
            let received = try await TestHTTP.rawExchange(port: system.stream.port, raw)
            let answers = received.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.lowercased() }
            try #require(answers.count == 4, "\(received)")
            #expect(answers[0].hasPrefix("200") && answers[0].contains("content-type: text/event-stream"), "\(answers[0])")
            #expect(answers[0].contains("access-control-allow-origin: http://app.example"), "\(answers[0])")
            #expect(answers[0].contains("event: completed"), "the whole replay comes before the next answer")
            #expect(answers[1].hasPrefix("204") && answers[1].contains("access-control-allow-methods"), "\(answers[1])")
            #expect(answers[2].hasPrefix("204") && !answers[2].contains("event:"), "\(answers[2])")
            #expect(answers[3].hasPrefix("200") && answers[3].hasSuffix("ok\n"), "\(answers[3])")
        }
    }

    /// A connection meets the router only when a request that is not a stream comes
    /// (`RouterOnDemandChannel`): here long after its first stream ended, with a second stream between.
    @Test func aConnectionThatStreamedFirstStillReachesTheRouterLater() async throws {
        try await withTestSystem { system in
            let (_, url) = try await Self.ask(system, "Stream, then ask the router")
            _ = try await readEventStream(url)
            let target = String(url.dropFirst(system.streamURL.count))
            let socket = try RawSocket(port: system.stream.port)
            socket.send("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n")
            let replay = await socket.read(until: "0\r\n\r\n")
            #expect(replay.hasPrefix("HTTP/1.1 200") && replay.contains("event: completed"), "\(replay)")
            try await Task.sleep(for: .milliseconds(300))
            socket.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            let health = await socket.read(until: "ok\n")
            #expect(health.hasPrefix("HTTP/1.1 200") && health.hasSuffix("ok\n"), "\(health)")
            socket.send("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let metrics = await socket.read(until: "tutorline_sse_connections")
            #expect(metrics.hasPrefix("HTTP/1.1 200"), "the router keeps the connection for its next request: \(metrics.prefix(200))")
            #expect(await socket.isClosedByPeer(within: .seconds(2)), "Connection: close is honoured")
        }
    }

    @Test func pipelinedRequestsBeforeAHalfCloseAreAllAnswered() async throws {
        try await withTestSystem { system in
            let (_, url) = try await Self.ask(system, "Half closed?")
            _ = try await readEventStream(url)
            let target = String(url.dropFirst(system.streamURL.count))
            // The client sends three requests and shuts its side: the stream waits behind the first,
            // and the half-close must wait behind them all.
            let raw = [
                "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
            ].joined()
            let received = try await TestHTTP.rawExchange(port: system.stream.port, raw, halfClose: true)
            let answers = received.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.lowercased() }
            try #require(answers.count == 3, "\(received)")
            #expect(answers[0].hasPrefix("200") && answers[0].hasSuffix("ok\n"), "\(answers[0])")
            #expect(answers[1].hasPrefix("200") && answers[1].contains("event: completed"), "\(answers[1])")
            #expect(answers[1].contains("server: tutorline-stream"), "\(answers[1])")
            #expect(answers[2].hasPrefix("200") && answers[2].hasSuffix("ok\n"), "\(answers[2])")
        }
    }

    /// The stream service's open connections, once they are down to 0 or after a second.
    static func openConnectionsOnceReleased(_ system: TestSystem) async throws -> Double? {
        var open = try await openConnections(system)
        for _ in 0..<50 where open != 0 {
            try await Task.sleep(for: .milliseconds(20))
            open = try await openConnections(system)
        }
        return open
    }

    static func openConnections(_ system: TestSystem) async throws -> Double? {
        let metrics = try await TestHTTP.get("\(system.streamURL)/metrics").body
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("tutorline_sse_connections ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test(arguments: EventLogKind.allCases) func streamErrors(eventLog: EventLogKind) async throws {
        try await withTestSystem(eventLog: eventLog, environment: ["CORS_ORIGINS": "http://app.example"]) { system in
            let (jobId, url) = try await Self.ask(system, "Errors?")
            _ = try await readEventStream(url)
            let base = "\(system.streamURL)/api/landing-assistant/stream"
            let keys = try await StreamTokenKeys(secret: system.streamTokenSecret)
            let issuer = StreamTokenIssuer(keys: keys)
            let job = try #require(UUID(uuidString: jobId))

            func expectError(_ url: String, headers: [(String, String)] = [], _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let response = try await TestHTTP.get(url, headers: headers)
                #expect(response.status == status, "\(response.body)", sourceLocation: sourceLocation)
                #expect(response.errorCode == code, "\(response.body)", sourceLocation: sourceLocation)
            }

            let valid = try await issuer.issue(job: job, audience: "landing", subject: "anonymous")
            try await expectError("\(base)/not-a-uuid?token=\(valid)", 400, "invalid_job_id")
            try await expectError("\(base)/\(jobId)", 401, "missing_token")
            try await expectError("\(base)/\(jobId)?token=abc.def.ghi", 401, "invalid_token")
            let forged = try await StreamTokenIssuer(keys: try await StreamTokenKeys(secret: String(repeating: "f", count: 32)))
                .issue(job: job, audience: "landing", subject: "anonymous")
            try await expectError("\(base)/\(jobId)?token=\(forged)", 401, "invalid_token")
            let expired = try await issuer.issue(job: job, audience: "landing", subject: "anonymous", now: Date().addingTimeInterval(-7200))
            try await expectError("\(base)/\(jobId)?token=\(expired)", 401, "expired_token")
            let otherJob = try await issuer.issue(job: UUID(), audience: "landing", subject: "anonymous")
            try await expectError("\(base)/\(jobId)?token=\(otherJob)", 403, "token_for_other_job")
            try await expectError("\(system.streamURL)/assistant/stream/\(jobId)?token=\(valid)", 403, "token_for_other_assistant")
            let unknown = UUID()
            let unknownToken = try await issuer.issue(job: unknown, audience: "landing", subject: "anonymous")
            try await expectError("\(base)/\(unknown.uuidString.lowercased())?token=\(unknownToken)", 404, "job_not_found")
            for bad in ["abc", "-1", "1.5", String(repeating: "9", count: 40)] {
                try await expectError("\(base)/\(jobId)?token=\(valid)", headers: [("Last-Event-ID", bad)], 400, "invalid_last_event_id")
            }
            // The token also works as a bearer header, for fetch-based clients.
            let bearer = try await readEventStream("\(base)/\(jobId)", headers: [("Authorization", "Bearer \(valid)")])
            #expect(bearer.status == 200 && bearer.data(of: "completed") != nil)

            // CORS: preflight for an allowed origin names last-event-id; other origins get no grant.
            let preflight = try await TestHTTP.request(.OPTIONS, "\(base)/\(jobId)", headers: [
                ("Origin", "http://app.example"), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "last-event-id"),
            ])
            #expect(preflight.headers.first(name: "Access-Control-Allow-Origin") == "http://app.example")
            #expect(preflight.headers.first(name: "Access-Control-Allow-Headers")?.contains("last-event-id") == true)
            let foreign = try await TestHTTP.get("\(base)/\(jobId)?token=\(valid)", headers: [("Origin", "http://evil.example")])
            #expect(foreign.headers.first(name: "Access-Control-Allow-Origin") == nil)
            // A refusal varies by origin too, and a refused preflight says why in the contract's body.
            #expect(foreign.headers.first(name: "Vary") == "Origin")
            let refused = try await TestHTTP.request(.OPTIONS, "\(base)/\(jobId)", headers: [
                ("Origin", "http://evil.example"), ("Access-Control-Request-Method", "GET"),
            ])
            #expect(refused.status == 403 && refused.errorCode == "origin_not_allowed")
            #expect(refused.headers.first(name: "Vary") == "Origin")
        }
    }
}

/// Tells a reading browser to leave, from another task.
final class LeaveSignal: Sendable {
    private let state = Mutex(false)
    var given: Bool { state.withLock { $0 } }
    func give() { state.withLock { $0 = true } }
}
