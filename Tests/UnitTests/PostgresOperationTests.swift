import Foundation
import Jobs
@testable import PostgresStore
import Synchronization
import Testing

/// The store's deadline answers its caller on time, whatever the operation does.
struct PostgresOperationTests {
    /// Holds an operation until it is let go.
    final class Gate: Sendable {
        private let parked = Mutex<(continuation: CheckedContinuation<Void, Never>?, released: Bool)>((nil, false))

        func park(_ continuation: CheckedContinuation<Void, Never>) {
            let free = parked.withLock { state in
                state.continuation = continuation
                return state.released
            }
            if free { release() }
        }

        func release() {
            parked.withLock { state in
                state.released = true
                return state.continuation.take()
            }?.resume()
        }

        var isReleased: Bool { parked.withLock { $0.released } }
    }

    @Test func anOperationThatIgnoresCancellationStillAnswersAtTheDeadline() async throws {
        let gate = Gate()
        let releaser = Task {
            try? await Task.sleep(for: .seconds(10))
            gate.release()
        }
        await #expect(throws: JobStoreError.self) {
            try await PostgresOperation.run(deadline: .milliseconds(100)) {
                // A query already sent: deaf to cancellation until the test lets it go.
                await withCheckedContinuation { continuation in gate.park(continuation) }
                return 1
            }
        }
        #expect(!gate.isReleased, "answered at the deadline, before the operation ended")
        releaser.cancel()
        await releaser.value
    }

    @Test func anAnswerInTimeIsReturnedAndAnErrorPassesThrough() async throws {
        #expect(try await PostgresOperation.run(deadline: .seconds(5)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await PostgresOperation.run(deadline: .seconds(5)) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func theCallersCancellationEndsTheWait() async throws {
        let waiting = Task {
            try await PostgresOperation.run(deadline: .seconds(60)) { () async throws -> Int in
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
