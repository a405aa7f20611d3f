#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// nginx with the nchan module (Debian's `libnginx-mod-nchan`), configured for the fanout
/// comparison: one worker, an EventSource subscriber location and a publisher location, a channel
/// per connection, each channel keeping its messages so that a subscriber first receives what was
/// published before it came (as a Tutorline stream replays its job's events).
final class NchanServer {
    let port: Int
    let directory: String
    private let process: Process

    static let module = "/usr/lib/nginx/modules/ngx_nchan_module.so"

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "nginx with nchan is not installed: apt-get install -y nginx-light libnginx-mod-nchan (or nginx and libnginx-mod-nchan)"
        }
    }

    /// - Parameter heartbeat: seconds between pings (comments), as the stream service's heartbeat.
    init(connections: Int, heartbeat: Int) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), FileManager.default.fileExists(atPath: Self.module) else {
            throw Missing()
        }
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let descriptors = min(connections * 2 + 1024, Int(limit.rlim_max))
        port = freePort()
        directory = NSTemporaryDirectory() + "tutorline-nchan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        let configuration = """
            load_module \(Self.module);
            worker_processes 1;
            worker_rlimit_nofile \(descriptors);
            daemon off;
            error_log \(directory)/logs/error.log warn;
            pid \(directory)/nginx.pid;
            \(getuid() == 0 ? "user root;" : "")
            events { worker_connections \(descriptors); }
            http {
                access_log off;
                # The publishers' kept-alive connections carry thousands of requests each.
                keepalive_requests 10000000;
                keepalive_timeout 10m;
                client_body_temp_path \(directory)/body;
                nchan_shared_memory_size 512M;
                server {
                    listen 127.0.0.1:\(port) backlog=4096;
                    location ~ ^/sub/(\\w+)$ {
                        nchan_subscriber eventsource;
                        nchan_channel_id $1;
                        nchan_subscriber_first_message oldest;
                        nchan_eventsource_ping_interval \(heartbeat);
                    }
                    location ~ ^/pub/(\\w+)$ {
                        nchan_publisher;
                        nchan_channel_id $1;
                        nchan_message_buffer_length 16;
                        nchan_message_timeout 30m;
                    }
                }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", directory, "-c", directory + "/nginx.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// The master's pid.
    var masterPid: Int32 { process.processIdentifier }

    /// The worker's pid: the master's one child.
    var workerPid: Int32? {
        let children = (try? String(contentsOfFile: "/proc/\(masterPid)/task/\(masterPid)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }.first
    }

    /// Waits until the worker accepts connections.
    func waitUntilListening() async throws {
        for _ in 0..<100 {
            if workerPid != nil, (try? await BenchConnection.with(port: port, { _ in true })) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: directory + "/logs/error.log", encoding: .utf8)) ?? ""
        throw BenchConnection.Failure(description: "nginx with nchan did not start:\n\(log)")
    }

    func stop() {
        kill(masterPid, SIGQUIT)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Publishes to nchan channels over kept-alive connections, as a worker would publish answers'
/// pieces: `POST /pub/<channel>` with the event's name in `X-EventSource-Event`.
enum NchanPublisher {
    /// One message: its channel, event name and data, made when it is sent (so it can be stamped).
    typealias Message = @Sendable (Int) -> (channel: String, event: String, data: String)

    /// Publishes messages `0..<count` over `lanes` connections at once, each lane in order
    /// (lane `i` sends `i`, `i + lanes`, ...), `interval` apart on each lane.
    static func publish(port: Int, lanes: Int, count: Int, interval: Duration = .zero, spread: Duration = .zero, message: @escaping Message) async throws {
        let pace = BurstPace(start: .now, spread: spread, count: count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<max(1, lanes) {
                group.addTask {
                    try await BenchConnection.with(port: port) { connection in
                        for index in stride(from: lane, to: count, by: max(1, lanes)) {
                            try await pace.wait(for: index)
                            let (channel, event, data) = message(index)
                            let head = try await connection.send(
                                .POST, "/pub/\(channel)", headers: [("X-EventSource-Event", event)], body: ByteBuffer(string: data)
                            )
                            _ = try await connection.body()
                            guard (200..<300).contains(head.status.code) else {
                                throw BenchConnection.Failure(description: "nchan refused a publish: \(head.status)")
                            }
                            if interval > .zero { try await Task.sleep(for: interval) }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
