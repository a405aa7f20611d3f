import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers an HTTP/1.0 request in HTTP/1.0: Hummingbird's HTTP-types codec drops the request's
/// version and answers every request as 1.1, so an event stream (no length) would go out chunked,
/// which a 1.0 client cannot read. A 1.0 answer without a length is delimited by closing the
/// connection, as RFC 9112 has it; one with a length keeps the connection only when the client
/// asked for keep-alive.
///
/// Sits just before the HTTP-types codec, where requests still carry their version. Added to the
/// pipeline with the service's other handlers, it moves itself there.
public final class HTTPVersionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    /// The versions and keep-alive wishes of requests not answered yet, oldest first (pipelining).
    private var requests: [(version: HTTPVersion, keepAlive: Bool)] = []
    /// Whether the answer being written ends the connection.
    private var closeAfterResponse = false

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            requests.append((head.version, head.isKeepAlive))
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let request = requests.isEmpty ? (version: HTTPVersion.http1_1, keepAlive: true) : requests.removeFirst()
            if request.version == .http1_0 {
                head.version = .http1_0
                let hasLength = head.headers.contains(name: "content-length")
                closeAfterResponse = !hasLength || !request.keepAlive
                head.headers.remove(name: "transfer-encoding")
                head.headers.replaceOrAdd(name: "connection", value: closeAfterResponse ? "close" : "keep-alive")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            written.futureResult.cascade(to: promise)
            // A 1.0 answer without a length ends with the connection: no chunk terminator.
            context.write(wrapOutboundOut(.end(nil)), promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
