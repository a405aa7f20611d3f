import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Counts its connection under a ``ConnectionCap`` and closes it when it is one too many.
public final class ConnectionCapHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    private let cap: ConnectionCap
    private var counted = false

    init(cap: ConnectionCap) {
        self.cap = cap
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        // The pipeline may be built before or after the connection becomes active.
        if context.channel.isActive { enter(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        enter(context: context)
        context.fireChannelActive()
    }

    private func enter(context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        if !cap.enter() {
            // On the loop's next turn: closing while the pipeline is being built would fail it.
            context.eventLoop.assumeIsolated().execute { context.close(promise: nil) }
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    private func leave() {
        guard counted else { return }
        counted = false
        cap.leave()
    }
}

@available(*, unavailable)
extension ConnectionCapHandler: Sendable {}
