import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SSE

/// One kept-alive HTTP/1.1 connection of a benchmark browser. Lighter than a general-purpose
/// client (no pool, no redirects, no decompression), so that the load generator, which shares the
/// machine, leaves the cores to the system it measures.
struct BenchConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Runs `body` with a connection to `port`, closed afterwards.
    static func with<T>(port: Int, _ body: (inout BenchConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = BenchConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    /// Sends a request and reads the response head.
    mutating func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil) async throws -> HTTPResponseHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if let body {
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
            parts = [.head(head), .body(.byteBuffer(body))]
        }
        try await outbound.write(contentsOf: parts + [.end(nil)])
        guard case .head(let response) = try await inbound.next() else { throw Failure(description: "no response head for \(path)") }
        return response
    }

    /// The rest of the response's body, whole.
    mutating func body() async throws -> ByteBuffer {
        var collected = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .body(var buffer): collected.writeBuffer(&buffer)
            case .end: return collected
            case .head: throw Failure(description: "a second head in one response")
            }
        }
        throw Failure(description: "the server closed the connection mid-response")
    }

    /// The rest of the response's body as events.
    mutating func events() async throws -> [ServerSentEvent] {
        var parser = EventStreamParser()
        var events: [ServerSentEvent] = []
        while let part = try await inbound.next() {
            switch part {
            case .body(let buffer):
                events += parser.feed(buffer.readableBytesView)
            case .end: return events
            case .head: throw Failure(description: "a second head in one response")
            }
        }
        throw Failure(description: "the server closed the stream mid-response")
    }
}
