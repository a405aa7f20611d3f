import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// HTTP/1 as Hummingbird's `HTTP1Channel` serves it, except that a connection is handed to the
/// router only when a request reaches the end of the pipeline.
///
/// A connection whose requests are all answered by a handler in the pipeline (the stream
/// service's event streams) never gets the router's `NIOAsyncChannel` nor its request loop: its
/// task waits on one future instead, which holds a few KiB less per idle connection. Graceful
/// shutdown is Hummingbird's: the server's quiescing reaches every connection's pipeline, and the
/// server waits for every connection's task, which ends when the connection closes.
public struct RouterOnDemandChannel: ServerChildChannel, HTTPChannelHandler {
    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
        /// The router's view of the connection once a request reached it; nil if none did before
        /// the connection closed.
        let router: EventLoopFuture<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>?>
    }

    public let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration

    public init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP1Channel.Configuration) {
        self.responder = responder
        self.configuration = configuration
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            // As `HTTP1Channel.setup` builds it.
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandlers(configuration.additionalChannelHandlers())
            try channel.pipeline.syncOperations.addHandler(
                HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger)
            )
            let router = channel.eventLoop.makePromise(of: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>?.self)
            try channel.pipeline.syncOperations.addHandler(RouterHandoff(router: router))
            return Value(channel: channel, router: router.futureResult)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        guard let asyncChannel = try? await value.router.get() else { return }
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 through ``RouterOnDemandChannel``.
    public static func http1RouterOnDemand(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in RouterOnDemandChannel(responder: responder, configuration: configuration) }
    }
}
