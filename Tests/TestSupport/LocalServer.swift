import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird server of the test support on a free loopback port (a stand-in for a service a
/// deployment does not run itself, or a page of another origin).
///
/// It runs in a service group so that `stop()` shuts it down gracefully: a cancelled server task
/// could drop a connection accepted in that instant without finishing its writer, which NIO
/// answers with a fatal error (it took a whole test run down once).
public final class LocalServer: Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let group: ServiceGroup

    private init(port: Int, group: ServiceGroup) {
        self.port = port
        self.group = group
    }

    /// Starts serving `router`; returns once the server listens.
    public static func start(_ router: Router<BasicRequestContext>, label: String) async -> LocalServer {
        let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
        let logger = Logger(label: label)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: label),
            onServerRunning: { channel in
                readyContinuation.yield(channel.localAddress?.port ?? 0)
                readyContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        Task {
            try? await group.run()
            // A server that never listened (a bind error) ends the wait too, with port 0.
            readyContinuation.finish()
        }
        var port = 0
        for await listening in ready { port = listening }
        precondition(port != 0, "\(label) did not start listening")
        return LocalServer(port: port, group: group)
    }

    /// Serves one HTML page at `/`: a page of another origin, as a platform's frontend is.
    public static func serving(page html: String, label: String) async -> LocalServer {
        let router = Router()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        return await start(router, label: label)
    }

    /// Shuts the server down gracefully, in the background.
    public func stop() {
        Task { await group.triggerGracefulShutdown() }
    }
}
