import Synchronization

/// One connection's slot in the hub: signals are merged here, and the connection's task takes
/// them all at once when it next looks. One small object per connection instead of a stream with
/// its own buffer: at 10,000 waiting browsers that difference is most of the memory.
public final class DeliveryMailbox: Sendable {
    private struct State {
        var pending = DeliveryWake()
        var waiter: UnsafeContinuation<DeliveryWake, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Records a signal, waking the connection if it is waiting.
    public func post(_ signal: DeliverySignal) {
        let resumed = state.withLock { state -> (UnsafeContinuation<DeliveryWake, Never>, DeliveryWake)? in
            state.pending.merge(signal)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            let wake = state.pending
            state.pending = DeliveryWake()
            return (waiter, wake)
        }
        if let (waiter, wake) = resumed { waiter.resume(returning: wake) }
    }

    /// Everything that arrived since the last call, waiting until something does. Cancelling the
    /// waiting task delivers `closed`.
    public func next() async -> DeliveryWake {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<DeliveryWake, Never>) in
                let ready = state.withLock { state -> DeliveryWake? in
                    if !state.pending.isEmpty {
                        defer { state.pending = DeliveryWake() }
                        return state.pending
                    }
                    // Only one task waits on a mailbox: the connection's own.
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            post(.closed)
        }
    }
}
