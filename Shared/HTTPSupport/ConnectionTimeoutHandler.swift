import NIOCore
import NIOHTTPTypes

/// Closes connections that hold a descriptor without asking anything: silent sockets, request
/// heads or bodies trickled a byte at a time, keep-alive connections left idle. A request being
/// answered (an event stream included, however long) is never timed out here.
public final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// How long a connection may go without a complete request head while nothing is answered.
    private let idle: TimeAmount
    /// How long a request may take from its head to its end (its whole body).
    private let read: TimeAmount
    /// Requests whose head came and whose response has not ended.
    private var unanswered = 0
    /// Whether a request's body is still coming.
    private var reading = false
    private var deadline: Scheduled<Void>?

    public init(idle: TimeAmount, read: TimeAmount) {
        self.idle = idle
        self.read = read
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(idle, context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        arm(idle, context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            reading = true
            arm(read, context: context)
        case .body:
            break
        case .end:
            reading = false
            // Read whole: its answer takes what it takes.
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0, !reading { arm(idle, context: context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ limit: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: limit) { context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension ConnectionTimeoutHandler: Sendable {}
