import Hummingbird
import NIOCore

/// The request context of every Tutorline service: Hummingbird's core plus the client's address.
public struct TutorlineRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer the connection came from.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's address as a string for rate limiting ("unknown" when the socket has none).
    public var clientAddress: String {
        remoteAddress?.ipAddress ?? "unknown"
    }
}
