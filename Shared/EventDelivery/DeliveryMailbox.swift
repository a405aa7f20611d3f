import Synchronization

/// One connection's slot in the hub: signals are merged here, and the connection takes them all
/// at once when it next looks. One small object per connection instead of a stream with its own
/// buffer: at 10,000 waiting browsers that difference is most of the memory.
public final class DeliveryMailbox: Sendable {
    private struct State {
        var pending = DeliveryWake()
        /// How the connection wants to hear that something arrived.
        var notify: (@Sendable () -> Void)?
        /// Whether `notify` was called and the connection has not taken the signals since: a burst
        /// of appends costs one hop to the connection's event loop, not one per append.
        var notified = false

        mutating func claimNotification() -> (@Sendable () -> Void)? {
            guard let notify, !notified else { return nil }
            notified = true
            return notify
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Records a signal, and tells the connection unless it was already told.
    public func post(_ signal: DeliverySignal) {
        let notify = state.withLock { state -> (@Sendable () -> Void)? in
            state.pending.merge(signal)
            return state.claimNotification()
        }
        notify?()
    }

    /// Calls `notify` (from any thread) when signals are waiting, at once if some already are;
    /// the connection then calls ``take()``.
    public func onSignal(_ notify: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> (@Sendable () -> Void)? in
            state.notify = notify
            return state.pending.isEmpty ? nil : state.claimNotification()
        }
        now?()
    }

    /// Everything that arrived since the last call; re-arms the notification.
    public func take() -> DeliveryWake {
        state.withLock { state in
            state.notified = false
            defer { state.pending = DeliveryWake() }
            return state.pending
        }
    }

    /// Drops the notification: the connection has ended. The hub's wheel may hold this mailbox until
    /// its slot passes; without this, the closure would keep the connection's objects alive as long.
    public func stop() {
        state.withLock { $0.notify = nil }
    }
}
