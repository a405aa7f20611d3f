#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Spool
import TestSupport

/// As many idle stream connections on one stream process as its descriptor limit allows, with
/// the clients in other processes (each process has the same limit), each bound to its own
/// loopback source address: held, memory per connection, then every job ends and each
/// connection must get its end.
struct Hold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Idle connections up to the descriptor limit, clients in other processes: held, memory, none lost.")

    @Option(help: "How many connections (and jobs).") var connections = 19_900
    @Option(help: "Client processes, each opening its share from 127.0.0.(2 + its index).") var clientProcesses = 4

    func run() async throws {
        let limit = BenchJobs.raiseDescriptorLimit()
        guard connections + 40 <= limit else {
            throw ValidationError("\(connections) connections need \(connections + 40) descriptors in the stream process; the limit here is \(limit)")
        }

        let environment = [
            "LOG_LEVEL": "warning", "STREAM_SILENCE_SECONDS": "3600", "STREAM_TIMEOUT_SECONDS": "3600",
            "MAX_CONNECTIONS": String(connections + 20),
        ]
        let report = try await withTestSystem(store: .sqlite, environment: environment) { system in
            let appender = Appender(log: Spool(directory: system.spoolDir))
            let (jobs, paths) = try await BenchJobs.make(connections, appender: appender, secret: system.streamTokenSecret)
            let baseline = Fanout.rss(of: system.stream.pid)
            let descriptorsBefore = Self.descriptors(of: system.stream.pid)

            // Each client process gets its share of the paths in a file, and prints `opened N`
            // once its connections have their first event, then `completed N` at the end.
            let shares = (0..<clientProcesses).map { index in stride(from: index, to: paths.count, by: clientProcesses).map { paths[$0] } }
            var clients: [HoldClientProcess] = []
            for (index, share) in shares.enumerated() {
                let file = "\(system.workDir)/hold-paths-\(index)"
                try share.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
                clients.append(
                    try HoldClientProcess(
                        arguments: ["hold-clients", "--port", String(system.stream.port), "--paths", file, "--source", "127.0.0.\(2 + index)"]
                    )
                )
            }
            let clock = ContinuousClock()
            let openStart = clock.now
            var opened = 0
            for client in clients { opened += try await client.value(after: "opened", timeout: .seconds(300)) }
            let openDuration = clock.now - openStart
            try await Task.sleep(for: .seconds(2))
            let held = Fanout.rss(of: system.stream.pid)
            let descriptors = Self.descriptors(of: system.stream.pid)

            for job in jobs { try await appender.append(job: job, event: "completed", data: "{}") }
            var completed = 0
            for client in clients { completed += try await client.value(after: "completed", timeout: .seconds(300)) }
            return [
                "scenario hold: \(connections) connections on one stream process, clients in \(clientProcesses) other processes",
                "| measure | value |",
                "|---|---|",
                "| the stream process's descriptor limit | \(limit) |",
                "| opening them (each with its first event) took | \(openDuration) |",
                "| connections held (first event received) | \(opened) |",
                "| the stream process's descriptors: before, held | \(descriptorsBefore), \(descriptors) |",
                "| stream RSS before, held | \(baseline / 1024) KiB, \(held / 1024) KiB |",
                "| RSS per idle connection | \(String(format: "%.1f", Double(held - baseline) / Double(max(1, opened)) / 1024)) KiB |",
                "| connections that got their end | \(completed) |",
                "| connections lost | \(connections - completed) |",
                "RESULT {\"connections\":\(connections),\"held\":\(opened),\"completed\":\(completed),\"rss_per_connection_kib\":\(Double(held - baseline) / Double(max(1, opened)) / 1024)}",
            ].joined(separator: "\n")
        }
        print(report)
    }

    static func descriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }
}

/// One client process of ``Hold``: opens a stream connection for each path in a file, from one
/// source address, and reports what it saw on standard output.
struct HoldClients: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold-clients", abstract: "A client process of hold.", shouldDisplay: false)

    @Option var port: Int
    @Option var paths: String
    @Option var source: String
    @Option var concurrency = 200

    func run() async throws {
        BenchJobs.raiseDescriptorLimit()
        let targets = try String(contentsOfFile: paths, encoding: .utf8).split(separator: "\n").map(String.init)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let results = FanoutResults()
        let address = try SocketAddress(ipAddress: source, port: 0)
        let channels = try await Fanout.open(targets.map { (port, $0) }, concurrency: concurrency, group: group, results: results, from: address)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        while results.opened < targets.count, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        Self.say("opened \(results.opened)")
        let end = clock.now + .seconds(240)
        while results.completed < targets.count, clock.now < end { try await Task.sleep(for: .milliseconds(50)) }
        Self.say("completed \(results.completed)")
        for channel in channels { channel.close(promise: nil) }
    }

    /// A line to the parent, unbuffered.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// A ``HoldClients`` process and the lines it prints.
final class HoldClientProcess: Sendable {
    private let process: Process
    private let output: Pipe

    init(arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        output = Pipe()
        process.standardOutput = output
        try process.run()
    }

    /// The number after `label` on the line that starts with it.
    func value(after label: String, timeout: Duration) async throws -> Int {
        let handle = output.fileHandleForReading
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var line = ""
        while clock.now < deadline {
            let byte = try await Task.detached { try handle.read(upToCount: 1) }.value
            guard let byte, let character = byte.first else { break }
            if character == UInt8(ascii: "\n") {
                if line.hasPrefix(label + " ") { return Int(line.dropFirst(label.count + 1)) ?? 0 }
                line = ""
            } else {
                line.append(Character(UnicodeScalar(character)))
            }
        }
        throw ValidationError("a client process ended or timed out before printing \(label)")
    }
}
