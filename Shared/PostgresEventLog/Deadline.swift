import Synchronization

/// Runs an operation for at most a while, without waiting for it to end: postgres-nio does not
/// end a query when its task is cancelled, so a query on a cut link would hold a structured
/// deadline (a task group waits for its children) for as long as the kernel keeps the socket,
/// minutes. The operation runs on in its own task until its connection fails or is closed.
enum Deadline {
    struct Passed: Error, CustomStringConvertible {
        var limit: Duration
        var description: String { "no answer within \(limit)" }
    }

    /// The operation's result, or ``Passed`` after `limit`. A result that comes after the
    /// deadline is handed to `discard` (a connection to close).
    static func run<T: Sendable>(
        _ limit: Duration, discard: @escaping @Sendable (T) -> Void = { _ in }, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let once = ResumeOnce<T>()
        return try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            let work = Task {
                do {
                    let value = try await operation()
                    if !once.resume(with: .success(value)) { discard(value) }
                } catch {
                    once.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.resume(with: .failure(Passed(limit: limit))) { work.cancel() }
            }
        }
    }
}

/// A continuation resumed by whichever comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) { self.continuation.withLock { $0 = continuation } }

    /// Resumes with `result` unless already resumed; returns whether this call did.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
