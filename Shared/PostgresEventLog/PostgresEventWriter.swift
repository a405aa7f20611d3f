import EventLog
import Foundation
import SSE
import Synchronization

/// Appends one job's events as rows: appends made while its last batch is under way go together
/// in the next, so each paced append costs at most one statement, and a burst a single one
/// (shared with other jobs' appends under load: ``PostgresAppendQueue``).
public final class PostgresEventWriter: EventLogWriter {
    private struct State {
        var lastEventId: Int
        /// Frames appended and not yet sent.
        var pending: [(id: Int, frame: String, isTerminal: Bool)] = []
        /// Whether a statement is under way (then it takes `pending` next, in order).
        var sending = false
        /// A statement that failed: every later call reports it.
        var failure: EventLogError?
        /// Callers of ``flush()`` waiting for the statements to end.
        var flushes: [CheckedContinuation<Void, Never>] = []
    }

    public let job: UUID
    public let existingFrames: [EventFrame]
    private let log: PostgresEventLog
    private let state: Mutex<State>

    init(log: PostgresEventLog, job: UUID, existingFrames: [EventFrame]) {
        self.log = log
        self.job = job
        self.existingFrames = existingFrames
        self.state = Mutex(State(lastEventId: existingFrames.compactMap(\.id).max() ?? 0))
    }

    public var lastEventId: Int { state.withLock { $0.lastEventId } }

    @discardableResult
    public func append(event: String, data: String) throws(EventLogError) -> Int {
        let (id, start) = try state.withLock { state throws(EventLogError) -> (Int, Bool) in
            if let failure = state.failure { throw failure }
            let id = state.lastEventId + 1
            state.lastEventId = id
            let frame = ServerSentEvent(event: event, data: data, id: String(id)).framed
            state.pending.append((id, frame, event == "completed" || event == "failed"))
            guard !state.sending else { return (id, false) }
            state.sending = true
            return (id, true)
        }
        if start { Task { await self.send() } }
        return id
    }

    public func flush() async throws(EventLogError) {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.sending {
                    state.flushes.append(continuation)
                    return false
                }
                return true
            }
            if done { continuation.resume() }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Sends what is pending, a statement at a time, until nothing is.
    private func send() async {
        while true {
            let batch = state.withLock { state in
                defer { state.pending = [] }
                return state.pending
            }
            var failure: EventLogError?
            if !batch.isEmpty, case .failure(let error) = await log.appends.submit(job: job, frames: batch) {
                failure = error
            }
            let flushes = state.withLock { state -> [CheckedContinuation<Void, Never>]? in
                if let failure {
                    // What follows a lost frame must not be written after it: the attempt ends.
                    state.failure = failure
                    state.pending = []
                }
                guard state.pending.isEmpty else { return nil }
                state.sending = false
                defer { state.flushes = [] }
                return state.flushes
            }
            guard let flushes else { continue }
            for flush in flushes { flush.resume() }
            return
        }
    }
}
