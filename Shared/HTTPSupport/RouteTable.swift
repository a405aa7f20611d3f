import Hummingbird
import Synchronization

/// The routes a service serves, by path pattern: what tells an address that does not exist (404)
/// from one that does not take the request's method (405, with `Allow`).
///
/// Filled once the routes are registered (``load(_:)``), read by ``MethodNotAllowedMiddleware``,
/// which the router needs before them.
public final class RouteTable: Sendable {
    private struct Route: Sendable {
        var segments: [String]
        var method: String
    }

    private let routes = Mutex<[Route]>([])

    /// An empty table, filled by ``load(_:)`` once the routes are registered.
    public init() {}

    /// Takes routes as `METHOD /path`, as the router describes them: a `{name}` segment matches
    /// any one segment.
    public func load(_ served: [String]) {
        let parsed = served.compactMap { line -> Route? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return Route(segments: Self.segments(of: String(parts[1])), method: String(parts[0]))
        }
        routes.withLock { $0 = parsed }
    }

    /// The methods some route of `path` takes, sorted; empty when no route has that path.
    public func methods(for path: String) -> [String] {
        let asked = Self.segments(of: path)
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == asked.count
                    && zip(route.segments, asked).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
            }.map(\.method)
        }
        return Set(methods).sorted()
    }

    private static func segments(of path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }
}
