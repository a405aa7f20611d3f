import NIOCore
import NIOHTTPTypes

/// The last handler of a ``RouterOnDemandChannel`` connection: on the first event the router
/// must see (a request part, an error, the end of input), wraps the connection in the router's
/// `NIOAsyncChannel`, which installs itself after this handler, and passes the event on to it.
final class RouterHandoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart

    private var router: EventLoopPromise<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>?>?

    init(router: EventLoopPromise<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>?>) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handOff(context: context)
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        handOff(context: context)
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { handOff(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        router?.succeed(nil)
        router = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        router?.succeed(nil)
        router = nil
    }

    private func handOff(context: ChannelHandlerContext) {
        guard let router else { return }
        self.router = nil
        do {
            // On the event loop, before the event that caused it travels on: nothing is missed.
            router.succeed(try NIOAsyncChannel(wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
        } catch {
            router.succeed(nil)
            context.close(promise: nil)
        }
    }
}
