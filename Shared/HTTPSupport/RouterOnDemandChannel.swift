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
/// service's event streams) holds no task, no `NIOAsyncChannel` and no request loop while it
/// waits: about 4 KiB less per idle connection. When a request does get past those handlers,
/// ``RouterHandoff`` wraps the connection for the router and starts its request loop then.
/// Graceful shutdown: the server's quiescing reaches every connection's pipeline as before, but
/// the server no longer waits for the connections; ``OpenConnectionsDrain`` does.
public struct RouterOnDemandChannel: ServerChildChannel, HTTPChannelHandler {
    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
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
            try channel.pipeline.syncOperations.addHandler(
                RouterHandoff { asyncChannel in
                    Task { await handleHTTP(asyncChannel: asyncChannel, logger: logger) }
                }
            )
            return Value(channel: channel)
        }
    }

    /// Nothing to do here: the connection's request loop, if it ever needs one, is started by
    /// its ``RouterHandoff``.
    public func handle(value: Value, logger: Logger) async {}
}

extension HTTPServerBuilder {
    /// HTTP/1 through ``RouterOnDemandChannel``.
    public static func http1RouterOnDemand(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in RouterOnDemandChannel(responder: responder, configuration: configuration) }
    }
}
