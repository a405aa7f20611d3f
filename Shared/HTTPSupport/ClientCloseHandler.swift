import NIOCore
import Synchronization

/// Tells a long response that its client went away (the client closed its side, or the
/// connection dropped), without a task per connection reading the request stream to find out.
///
/// Add one per connection (`HTTP1Channel`'s additional handlers); a route finds it with
/// `channel.pipeline.handler(type:)` and registers what to do.
public final class ClientCloseHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = Any

    private struct State {
        var closed = false
        var action: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `action` once when the client goes away, at once if it already has. Call
    /// ``clear()`` when the response ends: the action holds the response's state, and a kept-alive
    /// connection may sit idle for a long time after it.
    public func onClose(_ action: @escaping @Sendable () -> Void) {
        let closed = state.withLock { state in
            if !state.closed { state.action = action }
            return state.closed
        }
        if closed { action() }
    }

    /// Forgets the action: the response it was for has ended.
    public func clear() {
        state.withLock { $0.action = nil }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { clientWent() }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        clientWent()
        context.fireChannelInactive()
    }

    private func clientWent() {
        let action = state.withLock { state in
            state.closed = true
            defer { state.action = nil }
            return state.action
        }
        action?()
    }
}
