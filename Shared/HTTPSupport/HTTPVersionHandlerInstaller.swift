import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Places an ``HTTPVersionHandler`` before the HTTP-types codec once it is in the pipeline (the
/// services' extra handlers can only be added after the codec), then leaves.
public final class HTTPVersionHandlerInstaller: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    public init() {}

    public func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let codec = try? pipeline.context(handlerType: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(HTTPVersionHandler(), position: .before(codec.handler))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
