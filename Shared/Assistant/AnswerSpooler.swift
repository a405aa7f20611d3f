import Foundation
import Jobs
import EventLog
import Synchronization

/// Appends an attempt's answer to the job's event log as `delta` events, so that the browser never
/// sees the same text twice across attempts.
///
/// A retried attempt starts with what earlier attempts already sent. While the new text repeats
/// it, nothing is sent; once it goes further, only the new part is; if it says something else, a
/// `reset` event voids the earlier text and the new text follows. So the `delta` texts after the
/// last `reset` always concatenate to the answer.
///
/// Pieces that come faster than `pace` after the last delta are held and go out together, at most
/// `pace` later (or with the end): a model that bursts 30 pieces in a millisecond costs one log
/// append, one wake-up per browser and one event, not 30. At ordinary model speed (a piece every
/// 20-50 ms) nothing is held. The first piece always goes at once.
public final class AnswerSpooler: Sendable {
    struct State {
        let writer: any EventLogWriter
        /// What the browser holds: the delta texts since the last reset.
        var sent: String
        /// What this attempt has produced.
        var produced = ""
        /// When the last delta went out.
        var lastSend: ContinuousClock.Instant?
        /// Whether a held piece waits for its timer.
        var flushScheduled = false
        /// Set by ``stop()`` and ``finish()``: a timer that fires later does nothing.
        var closed = false
        /// A held piece that could not be written: reported by the next call.
        var flushError: EventLogError?
    }

    /// The default shortest time between two deltas.
    public static let defaultPace: Duration = .milliseconds(15)

    private let state: Mutex<State>
    let attempt: Int
    let pace: Duration

    public init(writer: any EventLogWriter, attempt: Int, pace: Duration = AnswerSpooler.defaultPace) {
        var sent = ""
        for frame in writer.existingFrames {
            switch frame.event {
            case "reset": sent = ""
            case "delta": sent += Self.deltaText(of: frame)
            default: break
            }
        }
        self.state = Mutex(State(writer: writer, sent: sent))
        self.attempt = attempt
        self.pace = pace
    }

    /// Spools an event (status, reset...) other than the answer's text.
    public func append(_ event: JobEvent) throws(EventLogError) -> Int {
        try state.withLock { state throws(EventLogError) in try state.writer.append(event: event.name, data: event.data) }
    }

    /// Takes the next piece of this attempt's answer.
    public func receive(_ piece: String) throws(EventLogError) {
        let flushAt = try state.withLock { state throws(EventLogError) -> ContinuousClock.Instant? in
            if let error = state.flushError { throw error }
            state.produced += piece
            let now = ContinuousClock.now
            if let last = state.lastSend, now - last < pace {
                guard !state.flushScheduled else { return nil }
                state.flushScheduled = true
                return last + pace
            }
            // The pace counts from the last delta written: a retry still repeating earlier text writes none.
            if try Self.sendWhatIsNew(&state, attempt: attempt) { state.lastSend = now }
            return nil
        }
        if let flushAt {
            Task { [self] in
                try? await Task.sleep(until: flushAt, clock: .continuous)
                flushHeld()
            }
        }
    }

    /// Sends what was held, unless the attempt has ended since.
    func flushHeld() {
        state.withLock { state in
            state.flushScheduled = false
            guard !state.closed, state.flushError == nil else { return }
            do throws(EventLogError) {
                if try Self.sendWhatIsNew(&state, attempt: attempt) { state.lastSend = .now }
            } catch {
                state.flushError = error
            }
        }
    }

    /// Ends the attempt: makes sure the browser holds exactly the answer. Returns the answer.
    public func finish() throws(EventLogError) -> String {
        try state.withLock { state throws(EventLogError) in
            if let error = state.flushError { throw error }
            state.closed = true
            if state.sent != state.produced {
                if !state.produced.utf8.starts(with: state.sent.utf8) {
                    // The new answer is shorter than, or differs from, what the browser holds.
                    _ = try state.writer.append(event: "reset", data: JobEvent.reset(attempt: attempt).data)
                    state.sent = ""
                }
                _ = try Self.sendWhatIsNew(&state, attempt: attempt)
            }
            return state.produced
        }
    }

    /// Drops what is held: the attempt failed, and the next one sends from what the browser has.
    /// Call before another spooler opens the job's spool.
    public func stop() {
        state.withLock { $0.closed = true }
    }

    /// The text the browser holds: the delta texts since the last reset.
    public var textSent: String { state.withLock { $0.sent } }

    /// The id the next event will carry.
    public var nextEventId: Int { state.withLock { $0.writer.lastEventId + 1 } }

    /// Returns once everything appended so far is in the log (Postgres sends appends on in batches).
    public func flush() async throws(EventLogError) {
        let writer = state.withLock { $0.writer }
        try await writer.flush()
    }

    /// Appends what the browser does not hold yet; whether anything was written.
    private static func sendWhatIsNew(_ state: inout State, attempt: Int) throws(EventLogError) -> Bool {
        let sent = state.sent.utf8
        let produced = state.produced.utf8
        if sent.starts(with: produced) { return false }
        if !produced.starts(with: sent) {
            _ = try state.writer.append(event: "reset", data: JobEvent.reset(attempt: attempt).data)
            state.sent = ""
        }
        let new = String(decoding: produced.dropFirst(state.sent.utf8.count), as: UTF8.self)
        _ = try state.writer.append(event: "delta", data: JobEvent.delta(new).data)
        state.sent = state.produced
        return true
    }

    static func deltaText(of frame: EventFrame) -> String {
        struct Delta: Decodable { var text: String }
        return (try? JSONDecoder().decode(Delta.self, from: Data(frame.data.utf8)))?.text ?? ""
    }
}
