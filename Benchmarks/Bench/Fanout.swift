#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import EventLog
import Logging
import PostgresEventLog
import SSE
import Spool
import Synchronization
import TestSupport

/// N SSE connections on one or more stream replicas, each waiting on its own job; then every job
/// gets an event and ends. Measures the replicas' memory per idle connection and the delivery
/// latency from the append (this process plays the worker, through the event log's own writer)
/// to the client's receipt; with `--event-log postgres`, the statements too.
struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "N waiting SSE connections: memory per connection, append → receipt latency.")

    @Option(help: "How many connections (and jobs).") var connections = 1000
    @Option(help: "How many connection attempts in flight at once.") var concurrency = 200
    @Option(help: "The stream service's heartbeat interval, in seconds.") var heartbeat = 15
    @Option(help: "How many single events after the burst.") var singles = 4000
    @Option(help: "Milliseconds between single events (4,000 × 5 ms spans a whole heartbeat cycle).") var singleInterval = 5
    @Option(help: "spool (SQLite, one host) or postgres (EVENT_LOG=postgres).") var eventLog = "spool"
    @Option(help: "Stream replicas, the connections spread over them.") var replicas = 1
    @Option(help: "nchan: then the same connections, client and events against nginx with the nchan module, and both side by side.") var against = ""
    @Option(help: "Spread the burst's events evenly over this many milliseconds, on both servers (0: as fast as each takes them).") var burstSpread = 0

    func run() async throws {
        BenchJobs.raiseDescriptorLimit()

        let environment = [
            "LOG_LEVEL": "warning", "STREAM_SILENCE_SECONDS": "600", "STREAM_TIMEOUT_SECONDS": "600",
            "STREAM_HEARTBEAT_SECONDS": String(heartbeat),
        ]
        guard let mode = EventLogKind(rawValue: eventLog) else { throw ValidationError("--event-log is spool or postgres") }
        guard against.isEmpty || against == "nchan" else { throw ValidationError("--against is nchan") }
        let (report, figures) = try await withTestSystem(store: mode == .postgres ? .postgres : .sqlite, eventLog: mode, environment: environment) { system in
            var streams = [system.stream]
            for index in 1..<max(1, replicas) {
                var environment = system.environment
                environment["SPOOL_DIR"] = mode == .postgres ? "\(system.workDir)/replica-\(index)-disk" : system.spoolDir
                streams.append(try await ServiceProcess("tutorline-stream", environment: environment, port: freePort(), logDirectory: system.workDir))
            }
            defer { for stream in streams.dropFirst() { stream.signal(SIGKILL) } }
            guard mode == .postgres else { return try await measure(system, streams: streams, log: Spool(directory: system.spoolDir)) }
            let started = streams
            return try await withPostgresClient(url: system.databaseURL, maximumConnections: 8) { client, _ in
                try await measure(system, streams: started, log: PostgresEventLog(client: client, logger: Logger(label: "bench")))
            }
        }
        print(report)
        guard against == "nchan" else { return }
        let nchan = try await measureNchan()
        let spread = burstSpread > 0 ? "the burst spread over \(burstSpread) ms on both" : "each burst as fast as its server takes it"
        print("scenario fanout against nchan: the same client, connections and events; one run each, one after the other; \(spread)")
        print(FanoutFigures.sideBySide(figures, nchan))
    }

    func measure(_ system: TestSystem, streams: [ServiceProcess], log: any EventLog) async throws -> (String, FanoutFigures) {
        let cpu = { streams.map { ProcessCPU.seconds(of: $0.pid) }.reduce(0, +) }
        let cpuBefore = cpu()
        let appender = Appender(log: log)
        let (jobs, paths) = try await BenchJobs.make(connections, appender: appender, secret: system.streamTokenSecret)
        let statements = system.environment["EVENT_LOG"] == "postgres" ? system.databaseURL : nil
        if let statements { _ = try await TestDatabase.integers("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", on: statements) }
        let baseline = streams.map { Self.rss(of: $0.pid) }.reduce(0, +)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let results = FanoutResults()
        let clock = ContinuousClock()
        let openStart = clock.now
        let channels = try await open(paths.enumerated().map { (streams[$0.offset % streams.count].port, $0.element) }, group: group, results: results)
        // Every connection has its replay (the status event) before memory is read.
        let deadline = clock.now + .seconds(120)
        while results.opened < connections, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let openDuration = clock.now - openStart
        // The database's work while every browser waits: nothing per browser, in either log.
        let waitWindow = 5
        var waitingStatements: WaitingCost.Window?
        if let statements {
            waitingStatements = try await WaitingCost.statements(over: waitWindow, on: statements)
        } else {
            try await Task.sleep(for: .seconds(2))
        }
        let idle = streams.map { Self.rss(of: $0.pid) }.reduce(0, +)
        print("progress: \(results.opened) connections open, \(Double(idle - baseline) / Double(connections) / 1024) KiB each")

        // Play the worker: one delta per job, stamped with the append time, then the end.
        if let statements { try await WaitingCost.reset(statements) }
        let appendStart = clock.now
        let pace = BurstPace(start: appendStart, spread: .milliseconds(burstSpread), count: jobs.count)
        for (index, job) in jobs.enumerated() {
            try await pace.wait(for: index)
            try await appender.append(job: job, event: "delta", data: #"{"text":"\#(DispatchTime.now().uptimeNanoseconds)"}"#)
        }
        let appendDuration = clock.now - appendStart
        while results.latencies.count < connections, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let burst = results.latencies.sorted()

        // Then single events, one at a time, while every connection stays open and heartbeats come
        // due: the latency of one answer's next piece with N browsers waiting.
        let singles = min(self.singles, connections * 8)
        for index in 0..<singles {
            let job = jobs[index % jobs.count]
            try await appender.append(job: job, event: "delta", data: #"{"text":"\#(DispatchTime.now().uptimeNanoseconds)"}"#)
            try await Task.sleep(for: .milliseconds(singleInterval))
        }
        while results.latencies.count < connections + singles, clock.now < deadline + .seconds(Double(singles * singleInterval) / 1000) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let single = results.latencies.dropFirst(connections).sorted()
        var appendStatements: Int?
        if let statements { appendStatements = try await WaitingCost.total(statements) }
        for job in jobs { try await appender.append(job: job, event: "completed", data: "{}") }
        try await appender.flush()
        while results.completed < connections, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let lost = connections - results.completed
        let cpuSeconds = cpu() - cpuBefore
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()

        func at(_ q: Double, _ latencies: [Double]) -> Double { FanoutFigures.at(q, latencies) }
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
        let perConnection = Double(idle - baseline) / Double(connections)
        var lines = [
            "scenario fanout: \(connections) connections on \(streams.count) stream replica(s), event log \(eventLog), binaries \(ServiceProcess.binaryDirectory)",
            "| measure | value |",
            "|---|---|",
            "| opening \(connections) connections (\(concurrency) at a time) took | \(openDuration) |",
            "| stream RSS before connections | \(baseline / 1024) KiB |",
            "| stream RSS with all connections idle | \(idle / 1024) KiB |",
            "| RSS per idle connection | \(String(format: "%.1f", perConnection / 1024)) KiB |",
            "| burst: appending \(connections) events (one per job) took | \(appendDuration) |",
            "| burst: append → receipt p50 / p99 / max | \(ms(at(0.5, burst))) / \(ms(at(0.99, burst))) / \(ms(burst.last ?? .nan)) |",
            "| single events (\(singles), \(singleInterval) ms apart): append → receipt p50 / p99 / max | \(ms(at(0.5, single))) / \(ms(at(0.99, single))) / \(ms(single.last ?? .nan)) |",
            "| connections that missed their end | \(lost) |",
        ]
        if let waitingStatements, let appendStatements {
            lines.append("| statements/s while \(connections) browsers wait (\(waitWindow) s) | \(String(format: "%.2f", waitingStatements.perSecond)) |")
            lines.append("| statements for \(connections + singles) appends (burst and singles) | \(appendStatements) |")
            lines += waitingStatements.top.map { "    waiting: \($0.calls)  \($0.query)" }
        }
        // NaN (nothing measured) is not JSON.
        let json = ([
            "connections": Double(connections), "rss_per_connection_kib": perConnection / 1024,
            "burst_p50_ms": at(0.5, burst), "burst_p99_ms": at(0.99, burst), "single_p50_ms": at(0.5, single),
            "single_p99_ms": at(0.99, single), "single_max_ms": single.last ?? .nan, "lost": Double(lost),
        ] as [String: Double]).mapValues { $0.isNaN ? -1 : $0 }
        lines.append("RESULT " + String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        let figures = FanoutFigures(
            server: "Tutorline", connections: connections, rssPerConnection: perConnection, burstPublish: appendDuration, burst: burst,
            single: Array(single), cpuSeconds: cpuSeconds, lost: lost
        )
        return (lines.joined(separator: "\n"), figures)
    }

    /// Opens a stream connection to each (port, path), `concurrency` at a time.
    func open(_ targets: [(port: Int, path: String)], group: any EventLoopGroup, results: FanoutResults) async throws -> [any Channel] {
        try await Self.open(targets, concurrency: concurrency, group: group, results: results)
    }

    /// Opens a stream connection to each (port, path), `concurrency` at a time, from `source` if given.
    static func open(
        _ targets: [(port: Int, path: String)], concurrency: Int, group: any EventLoopGroup, results: FanoutResults, from source: SocketAddress? = nil
    ) async throws -> [any Channel] {
        var channels: [any Channel] = []
        var index = 0
        while index < targets.count {
            let batch = targets[index..<min(index + concurrency, targets.count)]
            channels += try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
                for target in batch {
                    tasks.addTask { try await connect(group: group, port: target.port, path: target.path, results: results, from: source) }
                }
                return try await tasks.reduce(into: [any Channel]()) { $0.append($1) }
            }
            index = batch.endIndex
        }
        return channels
    }

    static func connect(
        group: any EventLoopGroup, port: Int, path: String, results: FanoutResults, from source: SocketAddress? = nil
    ) async throws -> any Channel {
        var bootstrap = ClientBootstrap(group: group)
        if let source { bootstrap = bootstrap.bind(to: source) }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(EventStreamClientHandler(results: results))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Accept", value: "text/event-stream")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        return channel
    }

    /// Resident memory of a process, in bytes.
    static func rss(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}

/// When each event of a spread burst is due: the same schedule for either server, so that
/// their latencies are compared at the same arrival rate.
struct BurstPace: Sendable {
    let start: ContinuousClock.Instant
    let spread: Duration
    let count: Int

    /// Waits until event `index` is due; sleeps only when more than a millisecond ahead, so the
    /// timer's own slack does not become the schedule.
    func wait(for index: Int) async throws {
        guard spread > .zero, count > 0 else { return }
        let due = start + spread * (Double(index) / Double(count))
        if ContinuousClock.now < due - .milliseconds(1) { try await Task.sleep(until: due, clock: .continuous) }
    }
}

/// Plays the worker. Spool writers are opened per append, as the worker does per job: 10,000
/// open files would crowd out the client sockets under the file limit. A Postgres writer holds
/// no descriptor and is kept per job, as the worker keeps it for an answer.
final class Appender {
    let log: any EventLog
    var writers: [UUID: any EventLogWriter] = [:]

    init(log: any EventLog) { self.log = log }

    func append(job: UUID, event: String, data: String) async throws {
        if log is Spool {
            try await log.writer(for: job, startsEmpty: false).append(event: event, data: data)
            return
        }
        if writers[job] == nil { writers[job] = try await log.writer(for: job, startsEmpty: false) }
        try writers[job]?.append(event: event, data: data)
    }

    func flush() async throws {
        for writer in writers.values { try await writer.flush() }
    }
}

/// What the clients saw, shared across the event loop and the measuring task.
final class FanoutResults: Sendable {
    private struct State {
        var opened = 0
        var completed = 0
        var latencies: [Double] = []
    }

    private let state = Mutex(State())
    var opened: Int { state.withLock { $0.opened } }
    var completed: Int { state.withLock { $0.completed } }
    var latencies: [Double] { state.withLock { $0.latencies } }

    func open() { state.withLock { $0.opened += 1 } }
    func complete() { state.withLock { $0.completed += 1 } }
    func latency(_ milliseconds: Double) { state.withLock { $0.latencies.append(milliseconds) } }
}

/// Parses one connection's event stream and reports to the shared results.
final class EventStreamClientHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    var parser = EventStreamParser()
    let results: FanoutResults

    init(results: FanoutResults) {
        self.results = results
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .body(let buffer) = unwrapInboundIn(data) else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        for event in parser.feed(buffer.readableBytesView) {
            switch event.event {
            case "status":
                results.open()
            case "delta":
                if let start = event.data.split(separator: "\"").dropFirst(3).first.flatMap({ UInt64($0) }) {
                    results.latency(Double(now - start) / 1e6)
                }
            case "completed":
                results.complete()
                context.close(promise: nil)
            default:
                break
            }
        }
    }
}
