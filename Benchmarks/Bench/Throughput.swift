import EventLog
import ArgumentParser
import Foundation
import NIOCore
import TestSupport

/// Jobs per second through the whole pipeline: gateway → store → worker (instant stand-in) →
/// spool → stream, each job followed to `completed` by its own browser.
struct Throughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Jobs/s through gateway → store → worker → spool → stream, instant LLM stand-in.")

    @Option(help: "How many jobs in all.") var jobs = 3000
    @Option(help: "Browsers asking at once (each asks, follows its stream to the end, asks again).") var clients = 64
    @Option(help: "The worker's WORKER_CONCURRENCY.") var workerConcurrency = 32
    @Option(help: "postgres or sqlite.") var store = "postgres"
    @Option(help: "spool or postgres: the EVENT_LOG answers travel by.") var eventLog = "spool"
    @Option(help: "The stand-in's delay per piece, in milliseconds (0: the whole answer at once).") var pieceDelay = 0
    @Option(help: "The worker's DELTA_PACE_MS (pieces closer than this go out as one delta).") var deltaPace = 15
    @Option(help: "The folder to put the spool in (default: beside the database, on the work disk); /dev/shm puts it on a tmpfs.")
    var spoolParent: String?

    func run() async throws {
        guard let kind = StoreKind(rawValue: store) else { throw ValidationError("--store is postgres or sqlite") }
        var environment = [
            "LOG_LEVEL": "warning", "ANON_RATE_LIMIT": "0", "WORKER_CONCURRENCY": String(workerConcurrency),
            "DELTA_PACE_MS": String(deltaPace),
        ]
        if let spoolParent { environment["SPOOL_DIR"] = "\(spoolParent)/tutorline-bench-spool-\(UUID().uuidString.prefix(8))" }
        let llm = LLMStandIn(chunkDelay: .milliseconds(pieceDelay))
        let (completed, failed, elapsed, statements, cpu) = try await withTestSystem(llm: llm, store: kind, eventLog: EventLogKind(rawValue: eventLog) ?? .spool, environment: environment) { system in
            for index in 0..<5 { _ = try await Latency.measure(index: -1 - index, system: system, llm: llm) }  // warm-up
            let statistics = kind == .postgres ? await StatementStatistics(database: system.databaseURL) : nil
            let parts: [(String, () -> Double)] = [
                ("gateway", { ProcessCPU.seconds(of: system.gateway.pid) }),
                ("worker", { ProcessCPU.seconds(of: system.worker.pid) }),
                ("stream", { ProcessCPU.seconds(of: system.stream.pid) }),
                ("postgres", { ProcessCPU.seconds(ofCommand: "postgres") }),
                ("bench (browsers and the model stand-in)", { ProcessCPU.seconds(of: getpid()) }),
            ]
            let before = ProcessCPU.sample(parts)
            let clock = ContinuousClock()
            let start = clock.now
            let (completed, failed) = await withTaskGroup(of: (Int, Int).self) { group in
                for client in 0..<clients {
                    group.addTask {
                        let share = Array(stride(from: client, to: jobs, by: clients))
                        var completed = 0
                        // Each browser keeps one connection to the gateway and one to the stream service.
                        do {
                            try await BenchConnection.with(port: system.gateway.port) { gateway in
                                try await BenchConnection.with(port: system.stream.port) { stream in
                                    for index in share {
                                        if try await Self.job(index: index, system: system, gateway: &gateway, stream: &stream) { completed += 1 }
                                    }
                                }
                            }
                        } catch {
                            print("browser \(client) stopped: \(error)")
                        }
                        // Failed, or never asked because the browser stopped.
                        return (completed, share.count - completed)
                    }
                }
                return await group.reduce(into: (0, 0)) { $0.0 += $1.0; $0.1 += $1.1 }
            }
            let elapsed = clock.now - start
            let used = zip(before, ProcessCPU.sample(parts)).map { ($0.0, $1.1 - $0.1) }
            return (completed, failed, elapsed, await statistics?.top() ?? [], used)
        }
        let seconds = Latency.seconds(elapsed)
        print("scenario throughput: \(jobs) jobs, \(clients) browsers at once, worker concurrency \(workerConcurrency), store \(store), event log \(eventLog), spool in \(spoolParent ?? "the work folder"), stand-in \(pieceDelay) ms/piece, pace \(deltaPace) ms, binaries \(ServiceProcess.binaryDirectory)")
        print("| measure | value |")
        print("|---|---|")
        print("| jobs completed | \(completed) |")
        print("| jobs that failed or never completed | \(failed) |")
        print("| elapsed | \(String(format: "%.2f", seconds)) s |")
        print("| throughput | \(String(format: "%.0f", Double(completed) / seconds)) jobs/s |")
        for (part, used) in cpu where part != "postgres" || kind == .postgres {
            print("| CPU, \(part) | \(String(format: "%.2f", used)) s, \(String(format: "%.2f", used * 1000 / Double(max(completed, 1)))) ms per job |")
        }
        let total = cpu.filter { $0.0 != "postgres" || kind == .postgres }.reduce(0) { $0 + $1.1 }
        print("| CPU, all of them | \(String(format: "%.2f", total)) s of \(String(format: "%.2f", seconds * Double(ProcessInfo.processInfo.activeProcessorCount))) available |")
        if !statements.isEmpty {
            print("\nPostgres statements during the run, by total execution time (pg_stat_statements):")
            for line in statements { print("    " + line) }
        }
        let json: [String: Double] = [
            "jobs": Double(jobs), "clients": Double(clients), "completed": Double(completed), "failed": Double(failed),
            "jobs_per_s": Double(completed) / seconds,
        ]
        print("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
    }
}

extension Throughput {
    /// One browser's question, followed on its stream to the end; whether it completed.
    static func job(index: Int, system: TestSystem, gateway: inout BenchConnection, stream: inout BenchConnection) async throws -> Bool {
        let question = "Benchmark question \(index) \(UUID().uuidString.prefix(8)): how do tokens and context windows work?"
        let body = try JSONSerialization.data(withJSONObject: ["question": question])
        let accepted = try await gateway.send(
            .POST, "/api/landing-assistant/query", headers: [("Content-Type", "application/json")], body: ByteBuffer(bytes: body)
        )
        let answer = try await gateway.body()
        guard accepted.status == .accepted,
            let json = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any],
            let streamUrl = json["streamUrl"] as? String
        else { return false }
        // A path on the stream service, or (embedded default) an absolute URL naming it.
        let path = streamUrl.hasPrefix("http") ? String(streamUrl.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" }) : streamUrl
        let head = try await stream.send(.GET, path, headers: [("Accept", "text/event-stream")])
        guard head.status == .ok else {
            _ = try await stream.body()
            return false
        }
        let events = try await stream.events()
        return events.contains { $0.event == "completed" } && events.contains { $0.event == "delta" }
    }
}

/// Where Postgres spent its time during a run, when `pg_stat_statements` is loaded (scripts/with-postgres.sh loads it).
struct StatementStatistics {
    let database: String

    /// Starts counting from now; nil when the extension is not available.
    init?(database: String) async {
        self.database = database
        do {
            _ = try await TestDatabase.integers("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", on: database)
            _ = try await TestDatabase.integers("SELECT 1 FROM (SELECT pg_stat_statements_reset()) AS reset", on: database)
        } catch {
            return nil
        }
    }

    /// The statements that took the most time, one line each: total ms, calls, mean ms, text.
    func top(_ count: Int = 10) async -> [String] {
        let rows = (try? await TestDatabase.rows(
            """
            SELECT (total_exec_time * 1000)::int8, calls || ' calls, ' || round(mean_exec_time::numeric, 3) || ' ms each: '
                || left(regexp_replace(query, '\\s+', ' ', 'g'), 100)
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
            ORDER BY total_exec_time DESC LIMIT \(count)
            """,
            on: database
        )) ?? []
        return rows.map { String(format: "%8.1f ms total, ", Double($0.0) / 1000) + $0.1 }
    }
}
