import ArgumentParser
import EventLog
import Foundation
import SSE
import TestSupport

/// `tutorline-bench stop`: how fast a stop reaches the model and the browser.
struct StopLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop mid-answer: cancel request → model request closed, and → the browser's failed event; one job at a time.",
        discussion: """
            The stand-in notices a closed request at its next write, or the one after (the first write \
            after a close may still succeed): the figure includes up to two piece delays of that.
            """
    )

    @Option(help: "How many jobs.") var jobs = 50
    @Option(help: "postgres or sqlite.") var store = "postgres"
    @Option(help: "spool or postgres: the EVENT_LOG answers travel by.") var eventLog = "spool"
    @Option(help: "The stand-in's delay per piece, in milliseconds.") var pieceDelay = 10

    func run() async throws {
        guard let kind = StoreKind(rawValue: store) else { throw ValidationError("--store is postgres or sqlite") }
        guard let log = EventLogKind(rawValue: eventLog) else { throw ValidationError("--event-log is spool or postgres") }
        let llm = LLMStandIn(chunkDelay: .milliseconds(pieceDelay))
        let environment = ["LOG_LEVEL": "warning", "ANON_RATE_LIMIT": "0"]
        var closed: [Duration] = []
        var browser: [Duration] = []
        var answered: [Duration] = []
        try await withTestSystem(llm: llm, store: kind, eventLog: log, environment: environment) { system in
            for index in -3..<jobs {
                let sample = try await Self.measure(index: index, system: system, llm: llm)
                guard index >= 0 else { continue }
                closed.append(sample.closed)
                browser.append(sample.browser)
                answered.append(sample.answered)
            }
        }
        print("scenario stop: \(jobs) jobs one at a time, store \(store), event log \(eventLog), stand-in delay \(pieceDelay) ms/piece, binaries \(ServiceProcess.binaryDirectory)")
        print("| measure | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|")
        var json: [String: Double] = ["jobs": Double(jobs), "piece_delay_ms": Double(pieceDelay)]
        for (name, key, values) in [
            ("POST cancel → its answer", "cancel_answer", answered), ("POST cancel → model request closed", "cancel_model_closed", closed),
            ("POST cancel → browser's failed event", "cancel_browser_failed", browser),
        ] {
            let (p50, p99, max) = Latency.percentiles(values)
            print("| \(name) | \(Latency.format(p50)) | \(Latency.format(p99)) | \(Latency.format(max)) |")
            json["\(key)_p50_ms"] = p50
            json["\(key)_p99_ms"] = p99
        }
        print("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }

    struct Sample {
        var answered: Duration
        var closed: Duration
        var browser: Duration
    }

    /// Asks a long question, reads two pieces, stops it, and follows the stream to its end.
    static func measure(index: Int, system: TestSystem, llm: LLMStandIn) async throws -> Sample {
        let question = "Stop benchmark \(index) \(UUID().uuidString.prefix(8)): " + String(repeating: "tell me more and more ", count: 40) + "please"
        let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question]).json()
        guard let streamUrl = accepted["streamUrl"] as? String, let cancelUrl = accepted["cancelUrl"] as? String,
            let token = URLComponents(string: streamUrl)?.queryItems?.first(where: { $0.name == "token" })?.value
        else { throw ValidationError("no links: \(accepted)") }
        let url = system.absolute(streamUrl)
        // The browser keeps its stream open throughout; its person presses stop at the second piece.
        let (shown, showing) = AsyncStream<Void>.makeStream()
        async let whole = readEventStream(url, keepAlive: true) { events in
            if events.filter({ $0.event == "delta" }).count >= 2 { showing.yield() }
            return false
        }
        for await _ in shown { break }
        let clock = ContinuousClock()
        let start = clock.now
        let stop = try await TestHTTP.request(.POST, system.gatewayURL + cancelUrl, headers: [("Authorization", "Bearer \(token)")])
        let answered = clock.now - start
        guard stop.status == 202 else { throw ValidationError("cancel answered \(stop.status): \(stop.body)") }
        let stream = try await whole
        let browser = clock.now - start
        guard stream.data(of: "failed")?["code"] as? String == "cancelled" else { throw ValidationError("no cancelled end: \(stream.raw.suffix(300))") }
        for _ in 0..<1000 where llm.timing(for: question)?.closedByClient == nil {
            try await Task.sleep(for: .milliseconds(2))
        }
        guard let closedAt = llm.timing(for: question)?.closedByClient else { throw ValidationError("the model request was never closed: \(String(describing: llm.timing(for: question)))") }
        return Sample(answered: answered, closed: closedAt - start, browser: browser)
    }
}
