import ServiceLifecycle

/// Holds a graceful shutdown until the server's connections have closed, for a bound.
///
/// A ``RouterOnDemandChannel`` server runs no task per connection, so Hummingbird's server
/// returns as soon as it stops listening while its connections are still draining (a stream
/// sends `retry:` and closes once it is out). Placed after the server in shutdown order (before
/// it among the services: they stop in reverse), this keeps the process up until they are gone.
public struct OpenConnectionsDrain: Service {
    let cap: ConnectionCap
    /// Past it the process stops anyway: a drained stream closes within 5 s.
    let bound: Duration

    public init(cap: ConnectionCap, bound: Duration = .seconds(10)) {
        self.cap = cap
        self.bound = bound
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: nothing to wait for
        }
        let deadline = ContinuousClock.now + bound
        while cap.current > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
