import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import SSE

/// A plain HTTP answer.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: String

    /// The body as JSON.
    public func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    /// The contract's error code, from `{"error": {"code": ...}}`.
    public var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }

    public var errorMessage: String? {
        ((try? json())?["error"] as? [String: Any])?["message"] as? String
    }
}

/// Minimal HTTP calls for tests, over real sockets.
public enum TestHTTP {
    public static func request(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil, chunked: Bool = false
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            // Chunked: no Content-Length, so the server learns the size only as the body comes.
            if chunked {
                let (pieces, writer) = AsyncStream<ByteBuffer>.makeStream()
                writer.yield(ByteBuffer(string: body))
                writer.finish()
                request.body = .stream(pieces, length: .unknown)
            } else {
                request.body = .bytes(ByteBuffer(string: body))
            }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    public static func postJSON(_ url: String, _ json: [String: Any], headers: [(String, String)] = []) async throws -> TestResponse {
        let data = try JSONSerialization.data(withJSONObject: json)
        return try await request(.POST, url, headers: [("Content-Type", "application/json")] + headers, body: String(decoding: data, as: UTF8.self))
    }

    public static func get(_ url: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request(.GET, url, headers: headers)
    }
}

/// What an event-stream client received.
public struct ReceivedStream: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var events: [ServerSentEvent]
    public var raw: String
    public var retry: Int?
    public var comments: Int
    /// The error body when the status was not 200.
    public var body: String

    /// The concatenation of the `delta` texts after the last `reset`.
    public var deltaText: String { Self.deltaText(events) }

    /// What a browser shows after these events: the `delta` texts after the last `reset`.
    public static func deltaText(_ events: [ServerSentEvent]) -> String {
        var text = ""
        for event in events {
            if event.event == "reset" { text = "" }
            if event.event == "delta", let delta = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any] {
                text += delta["text"] as? String ?? ""
            }
        }
        return text
    }

    public func data(of eventName: String) -> [String: Any]? {
        guard let event = events.last(where: { $0.event == eventName }) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
    }
}

/// An `EventSource`-like reader: reads a stream until `stop` says so, a terminal event arrives, or time runs out.
public func readEventStream(
    _ url: String,
    headers: [(String, String)] = [],
    timeout: Duration = .seconds(30),
    keepAlive: Bool = false,
    stop: @Sendable ([ServerSentEvent]) -> Bool = { _ in false }
) async throws -> ReceivedStream {
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    request.headers.add(name: "Accept", value: "text/event-stream")
    // A fresh connection per stream unless asked: a stream cut short leaves its socket closing,
    // and the client pool must not hand that one out again.
    if !keepAlive { request.headers.add(name: "Connection", value: "close") }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
    var received = ReceivedStream(status: Int(response.status.code), headers: response.headers, events: [], raw: "", retry: nil, comments: 0, body: "")
    guard response.status == .ok else {
        received.body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return received
    }
    var parser = EventStreamParser()
    let terminal: Set<String> = ["completed", "failed", "timeout"]
    reading: for try await buffer in response.body {
        received.raw += String(buffer: buffer)
        for event in parser.feed(buffer.readableBytesView) {
            received.events.append(event)
            if terminal.contains(event.event ?? "") || stop(received.events) { break reading }
        }
        if stop(received.events) { break }
    }
    received.retry = parser.retry
    received.comments = parser.comments
    return received
}

/// What an `EventSource` does: reads the stream and, when it ends before a terminal event,
/// reconnects with `Last-Event-ID`, until the job's end. Returns every event and how many
/// reconnections it took.
public func followEventStream(_ url: String, maximumReconnects: Int = 10) async throws -> (events: [ServerSentEvent], reconnects: Int) {
    var events: [ServerSentEvent] = []
    var reconnects = 0
    let terminal: Set<String> = ["completed", "failed", "timeout"]
    while true {
        var headers: [(String, String)] = []
        if let lastId = events.last(where: { $0.id != nil })?.id { headers.append(("Last-Event-ID", lastId)) }
        let received = try? await readEventStream(url, headers: headers)
        events += received?.events ?? []
        if events.contains(where: { terminal.contains($0.event ?? "") }) || received?.status == 204 { return (events, reconnects) }
        reconnects += 1
        if reconnects > maximumReconnects { return (events, reconnects) }
        try await Task.sleep(for: .milliseconds(received?.retry ?? 250))
    }
}

extension TestHTTP {
    /// Writes `raw` on one fresh connection and returns everything the server sent until it closed
    /// the connection: for what a client library will not do (pipelined requests, exact bytes).
    /// With `halfClose`, the client shuts its sending side after writing, as some clients do.
    public static func rawExchange(port: Int, _ raw: String, halfClose: Bool = false, timeout: Duration = .seconds(15)) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: raw))
                    if halfClose { outbound.finish() }
                    var received = ""
                    for try await buffer in inbound { received += String(buffer: buffer) }
                    return received
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                channel.channel.close(promise: nil)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return try #require(first, "the server did not close the connection within \(timeout)")
        }
    }
}
