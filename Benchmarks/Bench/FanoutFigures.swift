import Foundation

/// What one fanout run measured of one server, for the side-by-side table.
struct FanoutFigures {
    var server: String
    var connections: Int
    /// Resident memory added per idle connection, in bytes.
    var rssPerConnection: Double
    /// How long publishing (or appending) the burst took.
    var burstPublish: Duration
    /// Publish → receipt, milliseconds, sorted.
    var burst: [Double]
    var single: [Double]
    /// CPU seconds the server's processes used over the whole run.
    var cpuSeconds: Double
    var lost: Int

    static func at(_ q: Double, _ latencies: [Double]) -> Double {
        latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int((Double(latencies.count) * q).rounded(.up)) - 1)]
    }

    /// The table of two runs, with the ratio of the first to the second.
    static func sideBySide(_ left: FanoutFigures, _ right: FanoutFigures) -> String {
        func row(_ name: String, _ l: Double, _ r: Double, _ format: String) -> String {
            "| \(name) | \(String(format: format, l)) | \(String(format: format, r)) | \(String(format: "%.2f", l / r)) |"
        }
        return ([
            "| \(left.connections) connections | \(left.server) | \(right.server) | \(left.server) / \(right.server) |",
            "|---|---|---|---|",
            row("RSS per idle connection (KiB)", left.rssPerConnection / 1024, right.rssPerConnection / 1024, "%.1f"),
            row("burst: publishing one event per connection took (ms)", Self.milliseconds(left.burstPublish), Self.milliseconds(right.burstPublish), "%.0f"),
        ] + [("p50", 0.5), ("p99", 0.99), ("max", 1.0)].map { name, q in
            row("burst: publish → receipt \(name) (ms)", at(q, left.burst), at(q, right.burst), "%.2f")
        } + [("p50", 0.5), ("p99", 0.99), ("max", 1.0)].map { name, q in
            row("single events: publish → receipt \(name) (ms)", at(q, left.single), at(q, right.single), "%.2f")
        } + [
            row("server CPU for the whole run (s)", left.cpuSeconds, right.cpuSeconds, "%.2f"),
            "| connections lost | \(left.lost) | \(right.lost) | |",
        ]).joined(separator: "\n")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Latency.seconds(duration) * 1000
    }
}
