import Synchronization

/// Wakes every waiter at once: the worker's signal that new jobs may be waiting.
///
/// A waiter passes the ``generation`` it saw before it looked for work, so a ring that
/// arrives between the look and the wait is never missed.
public final class Doorbell: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The number of rings so far.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every current waiter.
    public func ring() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns after a ring later than `generation`, after `timeout`, or on cancellation;
    /// `true` when a ring ended the wait.
    @discardableResult
    public func wait(after generation: UInt64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            group.addTask {
                await self.waitForRing(after: generation)
                return self.generation != generation
            }
            let rung = await group.next() ?? false
            group.cancelAll()
            return rung
        }
    }

    private func waitForRing(after generation: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
