import EventLog
import ArgumentParser
import Foundation
import SSE
import Synchronization
import TestSupport

/// `tutorline-bench`: drives the real executables over loopback and prints what it measured.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tutorline-bench",
        abstract: "Measures Tutorline end to end against the real executables.",
        discussion: """
            Starts the executables found in TUTORLINE_BIN_DIR (default .build/debug; use .build/release for \
            figures), an LLM stand-in, and a store: Postgres needs TEST_DATABASE_URL (scripts/with-postgres.sh \
            starts one), SQLite needs nothing.
            """,
        subcommands: [Latency.self, Fanout.self, Throughput.self, WaitingCost.self, StopLatency.self, RealModel.self, RetrievalQuality.self, Hold.self, HoldClients.self],
        defaultSubcommand: Latency.self
    )
}

struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "POST → first delta and POST → completed, minus the stand-in's own time: one job at a time, or at a steady rate."
    )

    @Option(help: "How many jobs.") var jobs = 100
    @Option(help: "postgres or sqlite.") var store = "postgres"
    @Option(help: "spool or postgres: the EVENT_LOG answers travel by.") var eventLog = "spool"
    @Option(help: "llm (the streaming stand-in) or offline (the offline engine).") var engine = "llm"
    @Option(help: "The stand-in's delay per piece, in milliseconds.") var pieceDelay = 0
    @Option(help: "Jobs started per second, each followed by its own browser; 0 runs them one at a time.") var rate = 0.0
    @Option(help: "The worker's WORKER_CONCURRENCY.") var workerConcurrency = 4

    /// One job's figures.
    struct Sample: Sendable {
        var accepted: Duration
        var first: Duration
        var completed: Duration
        var overheadFirst: Duration?
        var overheadCompleted: Duration?
    }

    func run() async throws {
        guard let kind = StoreKind(rawValue: store) else { throw ValidationError("--store is postgres or sqlite") }
        var environment = ["LOG_LEVEL": "warning", "OFFLINE_PACE_MS": "0", "ANON_RATE_LIMIT": "0", "WORKER_CONCURRENCY": String(workerConcurrency)]
        if engine == "offline" { environment["LLM_BASE_URL"] = "" }
        let llm = LLMStandIn(chunkDelay: .milliseconds(pieceDelay))
        let warmUp = 5
        let (samples, elapsed) = try await withTestSystem(llm: llm, store: kind, eventLog: EventLogKind(rawValue: eventLog) ?? .spool, environment: environment) { system in
            for index in 0..<warmUp { _ = try await Self.measure(index: -1 - index, system: system, llm: llm) }
            let clock = ContinuousClock()
            let start = clock.now
            var samples: [Sample] = []
            if rate > 0 {
                // Open loop: jobs start on schedule whether or not earlier ones have finished.
                samples = try await withThrowingTaskGroup(of: Sample.self) { group in
                    for index in 0..<jobs {
                        try await clock.sleep(until: start + .seconds(Double(index) / rate))
                        group.addTask { try await Self.measure(index: index, system: system, llm: llm) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            } else {
                for index in 0..<jobs { samples.append(try await Self.measure(index: index, system: system, llm: llm)) }
            }
            return (samples, clock.now - start)
        }
        let pacing = rate > 0 ? "\(rate) jobs/s started on schedule" : "one at a time"
        print("scenario latency: \(jobs) jobs, \(pacing), store \(store), event log \(eventLog), engine \(engine), stand-in delay \(pieceDelay) ms/piece, binaries \(ServiceProcess.binaryDirectory)")
        print("| measure | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|")
        var json: [String: Double] = ["jobs": Double(jobs), "rate": rate, "achieved_jobs_per_s": Double(jobs) / Self.seconds(elapsed)]
        let series: [(String, [Duration])] = [
            ("POST → 202", samples.map(\.accepted)), ("POST → first delta", samples.map(\.first)), ("POST → completed", samples.map(\.completed)),
            ("overhead to first delta", samples.compactMap(\.overheadFirst)), ("overhead to completed", samples.compactMap(\.overheadCompleted)),
        ]
        for (name, values) in series where !values.isEmpty {
            let (p50, p99, max) = Self.percentiles(values)
            print("| \(name) | \(Self.format(p50)) | \(Self.format(p99)) | \(Self.format(max)) |")
            let key = name.replacingOccurrences(of: " → ", with: "_").replacingOccurrences(of: " ", with: "_")
            json["\(key)_p50_ms"] = p50
            json["\(key)_p99_ms"] = p99
        }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print("RESULT " + String(decoding: data, as: UTF8.self))
    }

    /// Asks one question as a browser would and follows its stream to the end.
    static func measure(index: Int, system: TestSystem, llm: LLMStandIn) async throws -> Sample {
        let clock = ContinuousClock()
        let question = "Benchmark question \(index) \(UUID().uuidString.prefix(8)): how do tokens and context windows work?"
        let start = clock.now
        let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question])
        let acceptedAt = clock.now
        guard let streamUrl = try accepted.json()["streamUrl"] as? String else { throw ValidationError("no streamUrl: \(accepted.body)") }
        let firstDelta = FirstDelta()
        // Kept-alive connections, as a browser's pool would use: every stream here runs to its end.
        let stream = try await readEventStream(system.absolute(streamUrl), keepAlive: true) { events in
            if events.contains(where: { $0.event == "delta" }) { firstDelta.mark(clock.now) }
            return false
        }
        let end = clock.now
        // A delta that came in the same read as the end (the job finished before the stream opened)
        // is not seen by the callback, which stops at the terminal event.
        if stream.events.contains(where: { $0.event == "delta" }) { firstDelta.mark(end) }
        guard stream.data(of: "completed") != nil, let firstAt = firstDelta.instant else {
            throw ValidationError("job \(index) did not complete: events \(stream.events.map { $0.event ?? "message" }), \(stream.raw.prefix(300))")
        }
        var sample = Sample(accepted: acceptedAt - start, first: firstAt - start, completed: end - start)
        if let timing = llm.timing(for: question), let piece = timing.firstPiece, let finished = timing.finished {
            sample.overheadFirst = (firstAt - start) - (piece - timing.received)
            sample.overheadCompleted = (end - start) - (finished - timing.received)
        }
        return sample
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func percentiles(_ values: [Duration]) -> (Double, Double, Double) {
        let sorted = values.map { seconds($0) * 1000 }.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
        return (at(0.5), at(0.99), sorted.last ?? 0)
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// The instant the first delta arrived, set once from the stream reader.
final class FirstDelta: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)
    var instant: ContinuousClock.Instant? { value.withLock { $0 } }
    func mark(_ now: ContinuousClock.Instant) { value.withLock { if $0 == nil { $0 = now } } }
}
