import Foundation
import Jobs
import Metrics
import NIOCore
import SSE
import Spool

/// One connection's event stream: replay from the spool past `Last-Event-ID`, then the tail as
/// the worker appends, with heartbeats while idle and a timeout, until the terminal event.
///
/// Synchronous steps, driven by the connection's event loop (`EventStreamChannelHandler`): a
/// waiting browser costs its channel and a few small objects, no task.
public struct JobEventSession: Sendable {
    enum Initial: Sendable {
        /// Frames from the spool file.
        case replay([SpoolFrame])
        /// No spool file yet; the store's status.
        case status(JobStatus)
        /// No spool file, and the store says the job ended.
        case ended(JobEvent, id: Int)
    }

    let job: UUID
    let subscription: DeliverySubscription
    let source: JobStreamSource
    let lastEventId: Int
    let initial: Initial
    let offset: Int

    /// What to send after one look at the job, and whether the stream ends with it.
    public struct Step {
        public var output: ByteBuffer?
        public var ends: Bool
    }

    /// What the tail remembers between wake-ups.
    struct TailState {
        var offset: Int
        var lastSentId: Int
        let deadline: ContinuousClock.Instant
        var lastWrite: ContinuousClock.Instant
        /// The wake-up this connection has asked the hub for; nil once it has come.
        var scheduled: ContinuousClock.Instant?
    }

    /// The `retry:` line and the replay (or the store's word when there is no spool file yet), and
    /// the tail that follows them, or nil when the stream ends with them.
    public func start() -> (output: ByteBuffer, tail: JobEventTail?) {
        var lastSentId = lastEventId
        var output = ByteBuffer()
        output.writeString("retry: \(source.configuration.retryMilliseconds)\n\n")
        switch initial {
        case .replay(let frames):
            if Self.append(frames, to: &output, after: &lastSentId) { return (output, nil) }
        case .status(let status):
            output.writeString(ServerSentEvent(event: "status", data: JobEvent.status(status).data).framed)
        case .ended(let event, let id):
            output.writeString(ServerSentEvent(event: event.name, data: event.data, id: String(id)).framed)
            return (output, nil)
        }
        let now = ContinuousClock.now
        let state = TailState(offset: offset, lastSentId: lastSentId, deadline: now + source.configuration.timeout, lastWrite: now)
        return (output, JobEventTail(session: self, state: state))
    }

    /// Asks the hub for a wake-up at the next heartbeat or the timeout, unless an earlier one is due.
    /// When writes moved the heartbeat later, the earlier wake-up comes anyway and finds nothing to do.
    func scheduleWake(_ state: inout TailState) {
        let due = min(state.lastWrite + source.configuration.heartbeat, state.deadline)
        if state.scheduled.map({ due < $0 }) ?? true {
            subscription.wake(at: due)
            state.scheduled = due
        }
    }

    /// Turns one wake-up into what to send.
    func handle(_ wake: DeliveryWake, state: inout TailState) throws -> Step {
        var buffer = ByteBuffer()
        if wake.draining {
            // A short retry: the replacement connection should come quickly.
            buffer.writeString("retry: 250\n\n")
            return Step(output: buffer, ends: true)
        }
        if wake.due { state.scheduled = nil }
        if let job = wake.stored {
            // The store saw the end; the spool may have it too by now, so prefer its exact frames.
            if try readNew(from: &state.offset, into: &buffer, after: &state.lastSentId) {
                return Step(output: buffer, ends: true)
            }
            if let event = JobEvent.terminal(of: job) {
                let id = JobStreamSource.terminalEventId(of: job, spooledUpTo: state.lastSentId)
                buffer.writeString(ServerSentEvent(event: event.name, data: event.data, id: String(id)).framed)
                return Step(output: buffer, ends: true)
            }
        }
        // A due wake-up also reads the file: the backstop should an inotify event ever go missing.
        if wake.spoolChanged || wake.due, try readNew(from: &state.offset, into: &buffer, after: &state.lastSentId) {
            return Step(output: buffer, ends: true)
        }
        let now = ContinuousClock.now
        if now >= state.deadline {
            buffer.writeString(ServerSentEvent(event: "timeout", data: JobEvent.timeout.data).framed)
            return Step(output: buffer, ends: true)
        }
        if buffer.readableBytes == 0, now - state.lastWrite >= source.configuration.heartbeat {
            buffer.writeString(ServerSentEvent.comment("heartbeat"))
        }
        guard buffer.readableBytes > 0 else { return Step(output: nil, ends: false) }
        state.lastWrite = now
        return Step(output: buffer, ends: false)
    }

    /// Reads what the spool gained since `offset`; returns whether the job's terminal event was among it.
    private func readNew(from offset: inout Int, into buffer: inout ByteBuffer, after lastSentId: inout Int) throws -> Bool {
        guard let read = try source.spool.read(job: job, from: offset) else { return false }
        offset = read.next
        let before = lastSentId
        let ended = Self.append(read.frames, to: &buffer, after: &lastSentId)
        if lastSentId > before {
            // From the last append to this send: how far delivery trails the worker.
            Self.spoolLag.record(duration: .milliseconds(Int64(max(0, Date().timeIntervalSince(read.modified)) * 1000)))
        }
        return ended
    }

    static let delivered = Counter(label: "tutorline_sse_events_delivered_total")
    static let spoolLag = Timer(label: "tutorline_spool_lag_seconds")

    /// Appends the frames newer than `lastSentId`; returns whether a terminal frame was among them.
    static func append(_ frames: [SpoolFrame], to buffer: inout ByteBuffer, after lastSentId: inout Int) -> Bool {
        for frame in frames {
            let id = frame.id ?? 0
            guard id > lastSentId else { continue }
            buffer.writeBytes(frame.bytes)
            delivered.increment()
            lastSentId = id
            if frame.isTerminal { return true }
        }
        return false
    }
}
