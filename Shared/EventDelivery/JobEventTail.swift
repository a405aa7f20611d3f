import NIOCore

/// The live part of a stream after its replay: wakes when the hub signals, sends what is new.
/// Owned by one connection and used on its event loop only.
public struct JobEventTail {
    let session: JobEventSession
    var state: JobEventSession.TailState

    /// Calls `notify` (from any thread) when signals are waiting; answer with ``next()`` on the
    /// connection's own thread.
    public func onSignal(_ notify: @escaping @Sendable () -> Void) {
        session.subscription.onSignal(notify)
    }

    /// Takes the waiting signals and turns them into what to send.
    public mutating func next() throws -> JobEventSession.Step {
        try session.handle(session.subscription.take(), state: &state)
    }

    /// Asks the hub for the next heartbeat or timeout wake-up; call after each step that did not end the stream.
    public mutating func scheduleWake() {
        session.scheduleWake(&state)
    }

    /// Ends the stream at the next step with a short `retry:` (graceful shutdown).
    public func drain() { session.subscription.drain() }
}
