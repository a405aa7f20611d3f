import Foundation
import Jobs

/// Looks jobs up in the store, batching concurrent lookups into one query.
///
/// A stream connection asks only when its job has no spool file yet (to tell 404 from "still
/// queued"); a burst of such connections costs one round trip, not one each.
public actor JobLookup {
    private let store: any JobStore
    private var pending: [UUID: [CheckedContinuation<Job?, any Error>]] = [:]
    private var flushScheduled = false

    public init(store: any JobStore) {
        self.store = store
    }

    /// The job, or `nil` when the store has no such job.
    public func job(id: UUID) async throws -> Job? {
        try await withCheckedThrowingContinuation { continuation in
            pending[id, default: []].append(continuation)
            if !flushScheduled {
                flushScheduled = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        let batch = pending
        pending = [:]
        flushScheduled = false
        do {
            let found = try await store.jobs(ids: Array(batch.keys))
            let byId = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for (id, waiters) in batch {
                for waiter in waiters { waiter.resume(returning: byId[id]) }
            }
        } catch {
            for waiter in batch.values.joined() { waiter.resume(throwing: error) }
        }
    }
}
