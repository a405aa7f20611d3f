import Foundation
import Jobs
import Spool
import Synchronization

/// Appends an attempt's answer to the job's spool as `delta` events, so that the browser never
/// sees the same text twice across attempts.
///
/// A retried attempt starts with what earlier attempts already sent. While the new text repeats
/// it, nothing is sent; once it goes further, only the new part is; if it says something else, a
/// `reset` event voids the earlier text and the new text follows. So the `delta` texts after the
/// last `reset` always concatenate to the answer.
public final class AnswerSpooler: Sendable {
    struct State {
        let writer: SpoolWriter
        /// What the browser holds: the delta texts since the last reset.
        var sent: String
        /// What this attempt has produced.
        var produced = ""
    }

    private let state: Mutex<State>
    let attempt: Int

    public init(writer: sending SpoolWriter, attempt: Int) {
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
    }

    /// Spools an event (status, reset...) other than the answer's text.
    public func append(_ event: JobEvent) throws(SpoolError) -> Int {
        try state.withLock { state throws(SpoolError) in try state.writer.append(event: event.name, data: event.data) }
    }

    /// Takes the next piece of this attempt's answer.
    public func receive(_ piece: String) throws(SpoolError) {
        try state.withLock { state throws(SpoolError) in
            state.produced += piece
            try Self.sendWhatIsNew(&state, attempt: attempt)
        }
    }

    /// Ends the attempt: makes sure the browser holds exactly the answer. Returns the answer.
    public func finish() throws(SpoolError) -> String {
        try state.withLock { state throws(SpoolError) in
            if state.sent != state.produced {
                // The new answer is shorter than what an earlier attempt sent.
                _ = try state.writer.append(event: "reset", data: JobEvent.reset(attempt: attempt).data)
                state.sent = ""
                try Self.sendWhatIsNew(&state, attempt: attempt)
            }
            return state.produced
        }
    }

    /// The id the next event will carry.
    public var nextEventId: Int { state.withLock { $0.writer.lastEventId + 1 } }

    private static func sendWhatIsNew(_ state: inout State, attempt: Int) throws(SpoolError) {
        let sent = state.sent.utf8
        let produced = state.produced.utf8
        if sent.starts(with: produced) { return }
        if !produced.starts(with: sent) {
            _ = try state.writer.append(event: "reset", data: JobEvent.reset(attempt: attempt).data)
            state.sent = ""
        }
        let new = String(decoding: produced.dropFirst(state.sent.utf8.count), as: UTF8.self)
        _ = try state.writer.append(event: "delta", data: JobEvent.delta(new).data)
        state.sent = state.produced
    }

    static func deltaText(of frame: SpoolFrame) -> String {
        struct Delta: Decodable { var text: String }
        return (try? JSONDecoder().decode(Delta.self, from: Data(frame.data.utf8)))?.text ?? ""
    }
}
