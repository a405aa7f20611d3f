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
