import Foundation
import NIOCore
import NIOPosix

extension Fanout {
    /// The same connections, client and events against nginx with nchan: a channel per
    /// connection, a stored `status` message as the replay, then the burst, the single events
    /// and the end, published over HTTP.
    func measureNchan() async throws -> FanoutFigures {
        let server = try NchanServer(connections: connections, heartbeat: heartbeat)
        defer { server.stop() }
        try await server.waitUntilListening()
        guard let worker = server.workerPid else { throw BenchConnection.Failure(description: "nchan's worker is not running") }
        let cpu = { ProcessCPU.seconds(of: server.masterPid) + ProcessCPU.seconds(of: worker) }
        let cpuBefore = cpu()
        // Publishing is an HTTP request per event: enough connections at once that the burst is one.
        let lanes = 32
        let port = server.port
        try await NchanPublisher.publish(port: port, lanes: lanes, count: connections) { index in
            ("c\(index)", "status", #"{"status":"PROCESSING"}"#)
        }
        let baseline = Self.rss(of: worker)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let results = FanoutResults()
        let clock = ContinuousClock()
        let channels = try await open((0..<connections).map { (port, "/sub/c\($0)") }, group: group, results: results)
        let deadline = clock.now + .seconds(120)
        while results.opened < connections, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .seconds(2))
        let idle = Self.rss(of: worker)
        print("progress: nchan: \(results.opened) connections open, \(Double(idle - baseline) / Double(connections) / 1024) KiB each")

        let burstStart = clock.now
        try await NchanPublisher.publish(port: port, lanes: lanes, count: connections, spread: .milliseconds(burstSpread)) { index in
            ("c\(index)", "delta", #"{"text":"\#(DispatchTime.now().uptimeNanoseconds)"}"#)
        }
        let burstPublish = clock.now - burstStart
        while results.latencies.count < connections, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let burst = results.latencies.sorted()

        let singles = min(self.singles, connections * 8)
        let total = connections
        try await NchanPublisher.publish(port: port, lanes: 1, count: singles, interval: .milliseconds(singleInterval)) { index in
            ("c\(index % total)", "delta", #"{"text":"\#(DispatchTime.now().uptimeNanoseconds)"}"#)
        }
        while results.latencies.count < connections + singles, clock.now < deadline + .seconds(Double(singles * singleInterval) / 1000) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let single = results.latencies.dropFirst(connections).sorted()
        try await NchanPublisher.publish(port: port, lanes: lanes, count: connections) { index in ("c\(index)", "completed", "{}") }
        while results.completed < connections, clock.now < deadline + .seconds(60) { try await Task.sleep(for: .milliseconds(20)) }
        let cpuSeconds = cpu() - cpuBefore
        for channel in channels { channel.close(promise: nil) }
        try await group.shutdownGracefully()
        return FanoutFigures(
            server: "nchan", connections: connections, rssPerConnection: Double(idle - baseline) / Double(connections), burstPublish: burstPublish,
            burst: burst, single: single, cpuSeconds: cpuSeconds, lost: connections - results.completed
        )
    }
}
