import Foundation
import EventLog
import Jobs
import NIOCore
import SSE

/// The live part of a stream after its replay: wakes when the hub signals, sends what is new,
/// heartbeats while idle, ends at the terminal event or the timeout. Owned by one connection and
/// used on its event loop only; it holds just what it needs between wake-ups (not the replay).
public struct JobEventTail {
    /// What to send after one wake-up, and whether the stream ends with it.
    public struct Step {
        public var output: ByteBuffer?
        public var ends: Bool
    }

    let job: UUID
    let subscription: DeliverySubscription
    let source: JobStreamSource
    var offset: Int
    var lastSentId: Int
    /// When the stream sends `timeout`: the stream timeout after the job's last new event (no
    /// progress), not after the connection opened, so an answer that keeps coming is never cut.
    var deadline: ContinuousClock.Instant
    var lastWrite: ContinuousClock.Instant
    /// The wake-up this connection has asked the hub for; nil once it has come.
    var scheduled: ContinuousClock.Instant?
    /// Whether the spool holds more than was sent: the last read stopped at its chunk. The
    /// connection calls ``catchUp()`` again once its socket has room.
    public internal(set) var isBehind = false
    /// The stream's place under its token's bound, let go with the tail.
    var permit: StreamPermit?

    init(job: UUID, subscription: DeliverySubscription, source: JobStreamSource, offset: Int, lastSentId: Int) {
        let now = ContinuousClock.now
        self.job = job
        self.subscription = subscription
        self.source = source
        self.offset = offset
        self.lastSentId = lastSentId
        self.deadline = now + source.configuration.timeout
        self.lastWrite = now
    }

    /// Calls `notify` (from any thread) when signals are waiting; answer with ``next()`` on the
    /// connection's own thread.
    public func onSignal(_ notify: @escaping @Sendable () -> Void) {
        subscription.onSignal(notify)
    }

    /// Takes the waiting signals and turns them into what to send.
    public mutating func next() throws -> Step {
        try handle(subscription.take())
    }

    /// Sends the next chunk of what the spool holds beyond what was sent (see ``isBehind``).
    public mutating func catchUp() throws -> Step {
        var buffer = ByteBuffer()
        if try readNew(into: &buffer) { return Step(output: buffer, ends: true) }
        guard buffer.readableBytes > 0 else { return Step(output: nil, ends: false) }
        lastWrite = ContinuousClock.now
        return Step(output: buffer, ends: false)
    }

    /// Ends the stream at the next step with a short `retry:` (graceful shutdown).
    public func drain() { subscription.drain() }

    /// Asks the hub for a wake-up at the next heartbeat or the timeout, unless an earlier one is due;
    /// call after each step that did not end the stream. When writes moved the heartbeat later, the
    /// earlier wake-up comes anyway and finds nothing to do.
    public mutating func scheduleWake() {
        let due = min(lastWrite + source.configuration.heartbeat, deadline)
        if scheduled.map({ due < $0 }) ?? true {
            subscription.wake(at: due)
            scheduled = due
        }
    }

    /// Turns one wake-up into what to send.
    mutating func handle(_ wake: DeliveryWake) throws -> Step {
        var buffer = ByteBuffer()
        if wake.draining {
            // A short retry: the replacement connection should come quickly.
            buffer.writeString("retry: 250\n\n")
            return Step(output: buffer, ends: true)
        }
        if wake.due { scheduled = nil }
        if let job = wake.stored {
            // The store saw the end; the spool may have it too by now, so prefer its exact frames.
            if try readNew(into: &buffer) {
                return Step(output: buffer, ends: true)
            }
            // Still behind the spool: its own frames (the end among them) come first.
            if !isBehind, let event = JobEvent.terminal(of: job) {
                let id = JobStreamSource.terminalEventId(of: job, spooledUpTo: lastSentId)
                buffer.writeString(ServerSentEvent(event: event.name, data: event.data, id: String(id)).framed)
                return Step(output: buffer, ends: true)
            }
        }
        // A due wake-up also reads the file: the backstop should an inotify event ever go missing.
        if wake.logChanged || wake.due, try readNew(into: &buffer) {
            return Step(output: buffer, ends: true)
        }
        let now = ContinuousClock.now
        if now >= deadline {
            buffer.writeString(ServerSentEvent(event: "timeout", data: JobEvent.timeout.data).framed)
            return Step(output: buffer, ends: true)
        }
        if buffer.readableBytes == 0, now - lastWrite >= source.configuration.heartbeat {
            buffer.writeString(ServerSentEvent.comment("heartbeat"))
        }
        guard buffer.readableBytes > 0 else { return Step(output: nil, ends: false) }
        lastWrite = now
        return Step(output: buffer, ends: false)
    }

    /// Reads what the spool gained since `offset`, a chunk at most; returns whether the job's
    /// terminal event was among it.
    private mutating func readNew(into buffer: inout ByteBuffer) throws -> Bool {
        guard let read = try source.log.read(job: job, from: offset, maximumBytes: source.configuration.replayChunk, wholeLongFrame: true) else { return false }
        offset = read.next
        isBehind = read.isPartial
        let before = lastSentId
        let ended = JobEventSession.append(read.frames, to: &buffer, after: &lastSentId)
        if lastSentId > before {
            deadline = ContinuousClock.now + source.configuration.timeout
            // From the last append to this send: how far delivery trails the worker.
            JobEventSession.spoolLag.record(duration: .milliseconds(Int64(max(0, Date().timeIntervalSince(read.modified)) * 1000)))
        }
        return ended
    }
}
