import Foundation
import Synchronization

/// A per-client fixed-window limit: at most `limit` requests per client in each minute.
public final class RateLimiter: Sendable {
    struct Window {
        var start: ContinuousClock.Instant
        var count: Int
    }

    let limit: Int
    let window: Duration
    private let windows = Mutex<[String: Window]>([:])

    /// - Parameter limit: requests per window; 0 turns limiting off.
    public init(limit: Int, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Counts a request from `client`; returns `nil` when allowed, otherwise the seconds until the
    /// client may try again.
    public func admit(_ client: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard limit > 0 else { return nil }
        return windows.withLock { windows in
            if windows.count > 100_000 {
                // Bound the memory an address scan can take: drop windows that are over.
                windows = windows.filter { now - $0.value.start < window }
            }
            var current = windows[client] ?? Window(start: now, count: 0)
            if now - current.start >= window { current = Window(start: now, count: 0) }
            guard current.count < limit else {
                let remaining = window - (now - current.start)
                return max(1, Int(remaining.components.seconds) + (remaining.components.attoseconds > 0 ? 1 : 0))
            }
            current.count += 1
            windows[client] = current
            return nil
        }
    }
}
