import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization

/// A bound on a service's open connections, shared by all of them: one past it is closed as it
/// opens, so a flood of idle sockets cannot take the descriptors the store and the spool need.
public final class ConnectionCap: Sendable {
    /// Connections open at once, at most.
    public let limit: Int
    private let open = Atomic<Int>(0)
    private let gauge = Gauge(label: "tutorline_http_connections")
    private let refused = Counter(label: "tutorline_http_connections_refused_total")

    public init(limit: Int) {
        self.limit = limit
    }

    /// Connections open now.
    public var current: Int { open.load(ordering: .relaxed) }

    /// Counts a connection in; false when it is one too many (it is still counted until it leaves).
    func enter() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        gauge.record(now)
        guard now <= limit else {
            refused.increment()
            return false
        }
        return true
    }

    func leave() {
        gauge.record(open.wrappingSubtract(1, ordering: .relaxed).newValue)
    }

    /// The handler that counts one connection.
    public func handler() -> ConnectionCapHandler { ConnectionCapHandler(cap: self) }
}

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
