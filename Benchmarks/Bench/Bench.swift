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
        subcommands: [Latency.self, Fanout.self],
        defaultSubcommand: Latency.self
    )
}

struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "POST → first delta and POST → completed, one job at a time, minus the stand-in's own time."
    )

    @Option(help: "How many jobs.") var jobs = 100
    @Option(help: "postgres or sqlite.") var store = "postgres"
    @Option(help: "llm (the streaming stand-in) or offline (the offline engine).") var engine = "llm"
    @Option(help: "The stand-in's delay per piece, in milliseconds.") var pieceDelay = 0

    func run() async throws {
        guard let kind = StoreKind(rawValue: store) else { throw ValidationError("--store is postgres or sqlite") }
        var environment = ["LOG_LEVEL": "warning", "OFFLINE_PACE_MS": "0", "ANON_RATE_LIMIT": "0"]
        if engine == "offline" { environment["LLM_BASE_URL"] = "" }
        let llm = LLMStandIn(chunkDelay: .milliseconds(pieceDelay))
        let clock = ContinuousClock()
        let samples = try await withTestSystem(llm: llm, store: kind, environment: environment) { system in
            var first: [Duration] = []
            var completed: [Duration] = []
            var overheadFirst: [Duration] = []
            var overheadCompleted: [Duration] = []
            for index in 0..<(jobs + 5) {
                let question = "Benchmark question \(index): how do tokens and context windows work?"
                let start = clock.now
                let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": question])
                guard let streamUrl = try accepted.json()["streamUrl"] as? String else { throw ValidationError("no streamUrl: \(accepted.body)") }
                let firstDelta = FirstDelta()
                let stream = try await readEventStream(system.absolute(streamUrl)) { events in
                    if events.last?.event == "delta" { firstDelta.mark(clock.now) }
                    return false
                }
                let end = clock.now
                guard stream.data(of: "completed") != nil, let firstAt = firstDelta.instant else {
                    throw ValidationError("job \(index) did not complete: \(stream.raw.suffix(500))")
                }
                guard index >= 5 else { continue }  // warm-up
                first.append(firstAt - start)
                completed.append(end - start)
                if engine == "llm", let timing = llm.timing(for: question), let piece = timing.firstPiece, let finished = timing.finished {
                    overheadFirst.append((firstAt - start) - (piece - timing.received))
                    overheadCompleted.append((end - start) - (finished - timing.received))
                }
            }
            return (first, completed, overheadFirst, overheadCompleted)
        }
        print("scenario latency: \(jobs) jobs, store \(store), engine \(engine), stand-in delay \(pieceDelay) ms/piece, binaries \(ServiceProcess.binaryDirectory)")
        print("| measure | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|")
        var json: [String: Double] = [:]
        for (name, values) in [("POST → first delta", samples.0), ("POST → completed", samples.1),
                               ("overhead to first delta", samples.2), ("overhead to completed", samples.3)] where !values.isEmpty {
            let (p50, p99, max) = Self.percentiles(values)
            print("| \(name) | \(Self.format(p50)) | \(Self.format(p99)) | \(Self.format(max)) |")
            let key = name.replacingOccurrences(of: " → ", with: "_").replacingOccurrences(of: " ", with: "_")
            json["\(key)_p50_ms"] = p50
            json["\(key)_p99_ms"] = p99
        }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        print("RESULT " + String(decoding: data, as: UTF8.self))
    }

    static func percentiles(_ values: [Duration]) -> (Double, Double, Double) {
        let sorted = values.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
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
