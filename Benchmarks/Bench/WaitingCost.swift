import EventLog
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import TestSupport

/// What waiting browsers cost the database: statements per second on Postgres (from
/// `pg_stat_statements`) with N browsers waiting on N queued jobs, against the same system with
/// nobody waiting. The polling designs it replaces cost 2 statements per second per browser.
struct WaitingCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waiting-cost",
        abstract: "Postgres statements per second while N browsers wait, from pg_stat_statements."
    )

    @Option(help: "How many browsers (and queued jobs).") var browsers = 1000
    @Option(help: "Seconds in each measuring window.") var window = 10
    @Option(help: "spool or postgres: the EVENT_LOG the system runs with.") var eventLog = "spool"

    func run() async throws {
        let llm = LLMStandIn(chunkDelay: .zero)
        let environment = ["LOG_LEVEL": "warning", "ANON_RATE_LIMIT": "0"]
        let report = try await withTestSystem(llm: llm, store: .postgres, eventLog: EventLogKind(rawValue: eventLog) ?? .spool, environment: environment) { system in
            try await measure(system)
        }
        print(report)
    }

    func measure(_ system: TestSystem) async throws -> String {
        let database = system.databaseURL
        do {
            _ = try await TestDatabase.integers("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", on: database)
            _ = try await TestDatabase.integers("SELECT 1 FROM pg_stat_statements LIMIT 1", on: database)
        } catch {
            throw ValidationError("pg_stat_statements is not loaded: run under scripts/with-postgres.sh, which preloads it (\(error))")
        }
        // The jobs stay queued: the browsers wait as long as the benchmark likes, the worst case for
        // the stream service (no spool activity, so only the store can say whether a job ended).
        await system.worker.stop()
        var paths: [String] = []
        for index in 0..<browsers {
            let accepted = try await TestHTTP.postJSON("\(system.gatewayURL)/api/landing-assistant/query", ["question": "Waiting \(index)?"])
            guard let streamUrl = try accepted.json()["streamUrl"] as? String else { throw ValidationError("no streamUrl: \(accepted.body)") }
            paths.append(streamUrl)
        }

        let idle = try await Self.statements(over: window, on: database)

        try await Self.reset(database)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let results = FanoutResults()
        var channels: [any Channel] = []
        for path in paths {
            channels.append(try await Fanout.connect(group: group, port: system.stream.port, path: path, results: results))
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while results.opened < browsers, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let opening = try await Self.total(database)

        let waiting = try await Self.statements(over: window, on: database)
        let stillOpen = channels.filter(\.isActive).count
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()

        let perBrowser = (waiting.perSecond - idle.perSecond) / Double(browsers)
        var lines = [
            "scenario waiting-cost: \(browsers) browsers waiting on \(browsers) queued jobs, \(window) s windows, Postgres, event log \(eventLog), binaries \(ServiceProcess.binaryDirectory)",
            "| measure | value |",
            "|---|---|",
            "| statements/s with nobody waiting | \(String(format: "%.2f", idle.perSecond)) |",
            "| statements to open \(browsers) streams (batched lookups) | \(opening) |",
            "| statements/s with \(browsers) browsers waiting | \(String(format: "%.2f", waiting.perSecond)) |",
            "| statements/s per waiting browser | \(String(format: "%.4f", perBrowser)) |",
            "| the same browsers polling every 500 ms | \(browsers * 2)/s |",
            "| connections still open at the end | \(stillOpen) of \(browsers) |",
            "",
            "statements while waiting (calls in \(window) s):",
        ]
        lines += waiting.top.map { "    \($0.calls)  \($0.query)" }
        let json: [String: Double] = [
            "browsers": Double(browsers), "idle_statements_per_s": idle.perSecond, "waiting_statements_per_s": waiting.perSecond,
            "per_browser_statements_per_s": perBrowser, "opening_statements": Double(opening),
        ]
        lines.append("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        return lines.joined(separator: "\n")
    }

    struct Window {
        var perSecond: Double
        var top: [(calls: Int, query: String)]
    }

    /// Statements run on this database over `seconds`, excluding the benchmark's own.
    static func statements(over seconds: Int, on database: String) async throws -> Window {
        try await Self.reset(database)
        try await Task.sleep(for: .seconds(seconds))
        let rows = try await TestDatabase.rows(
            """
            SELECT calls::int8, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC
            """,
            on: database
        )
        let total = rows.reduce(0) { $0 + $1.0 }
        return Window(perSecond: Double(total) / Double(seconds), top: rows.prefix(8).map { (calls: $0.0, query: $0.1) })
    }

    static func total(_ database: String) async throws -> Int {
        try await TestDatabase.integers(
            """
            SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
            """,
            on: database
        ).first ?? 0
    }

    static func reset(_ database: String) async throws {
        _ = try await TestDatabase.integers("SELECT 1 FROM (SELECT pg_stat_statements_reset()) AS reset", on: database)
    }
}
