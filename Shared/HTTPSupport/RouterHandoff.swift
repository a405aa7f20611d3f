import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The last handler of a ``RouterOnDemandChannel`` connection: on the first event the router
/// must see (a request part, an error, the end of input), wraps the connection in the router's
/// `NIOAsyncChannel`, which installs itself after this handler, starts the router's request loop
/// on it, and passes the event on.
final class RouterHandoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias RouterChannel = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    private var start: ((RouterChannel) -> Void)?

    init(start: @escaping (RouterChannel) -> Void) {
        self.start = start
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handOff(context: context)
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request the parser refused gets the router's 400; any other error before the router
        // took over (a browser gone: a reset) just closes the connection.
        guard start == nil || error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        handOff(context: context)
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { handOff(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        start = nil
    }

    private func handOff(context: ChannelHandlerContext) {
        guard let start else { return }
        self.start = nil
        do {
            // On the event loop, before the event that caused it travels on: nothing is missed.
            start(try RouterChannel(wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
            // The router's writer starts writable, having missed `channelActive`: tell it if the
            // socket is full (a stream's last bytes still going out).
            if !context.channel.isWritable { context.fireChannelWritabilityChanged() }
        } catch {
            context.close(promise: nil)
        }
    }
}
