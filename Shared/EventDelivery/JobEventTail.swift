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
    /// A frame longer than a chunk (a long answer's `completed` repeats it whole) being sent a
    /// slice at a time, never held whole: its `event:`/`id:` lines and where it ends. Nothing else
    /// may be written until it is whole (a heartbeat would land inside its data).
    var longFrame: (header: EventFrame, end: Int)?

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
            // A short retry: the replacement connection should come quickly. In the middle of a
            // long frame, just the end: the browser drops the incomplete event and asks again.
            if longFrame == nil { buffer.writeString("retry: 250\n\n") }
            return Step(output: longFrame == nil ? buffer : nil, ends: true)
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
        // A due wake-up also looks at the log: the backstop should an inotify event or a
        // notification ever go missing. Its length first: a heartbeat slot holds hundreds of
        // connections, and a read each held up every other event on their event loops.
        if wake.logChanged || (wake.due && mayHaveUnread), try readNew(into: &buffer) {
            return Step(output: buffer, ends: true)
        }
        let now = ContinuousClock.now
        if now >= deadline {
            if longFrame == nil { buffer.writeString(ServerSentEvent(event: "timeout", data: JobEvent.timeout.data).framed) }
            return Step(output: buffer.readableBytes > 0 ? buffer : nil, ends: true)
        }
        if buffer.readableBytes == 0, longFrame == nil, now - lastWrite >= source.configuration.heartbeat {
            buffer.writeString(ServerSentEvent.comment("heartbeat"))
        }
        guard buffer.readableBytes > 0 else { return Step(output: nil, ends: false) }
        lastWrite = now
        return Step(output: buffer, ends: false)
    }

    /// Whether the log may hold bytes not yet sent.
    private var mayHaveUnread: Bool {
        longFrame != nil || isBehind || (source.log.length(job: job) ?? 0) > offset
    }

    /// Reads what the spool gained since `offset`, a chunk at most; returns whether the job's
    /// terminal event was among it.
    private mutating func readNew(into buffer: inout ByteBuffer) throws -> Bool {
        if let longFrame { return try sendSlice(of: longFrame, into: &buffer) }
        let chunk = source.configuration.replayChunk
        guard let read = try source.log.read(job: job, from: offset, maximumBytes: chunk, wholeLongFrame: false) else { return false }
        if read.frames.isEmpty, read.isPartial {
            // A frame longer than a chunk; nil while the worker is still writing it.
            guard let (header, end) = try source.log.skipFrame(job: job, at: offset, chunk: chunk) else {
                isBehind = false
                return false
            }
            if let id = header.id, id <= lastSentId {
                offset = end
                isBehind = true
                return false
            }
            longFrame = (header, end)
            return try sendSlice(of: (header, end), into: &buffer)
        }
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

    /// The next slice of a long frame; returns whether it completed the job's terminal event.
    private mutating func sendSlice(of frame: (header: EventFrame, end: Int), into buffer: inout ByteBuffer) throws -> Bool {
        let slice = try source.log.bytes(job: job, from: offset, maximumBytes: min(source.configuration.replayChunk, frame.end - offset)) ?? []
        guard !slice.isEmpty else { throw EventLogError(.unreadable, reason: "the log ended inside a frame it had whole") }
        buffer.writeBytes(slice)
        offset += slice.count
        deadline = ContinuousClock.now + source.configuration.timeout
        isBehind = true
        guard offset >= frame.end else { return false }
        longFrame = nil
        if let id = frame.header.id { lastSentId = id }
        JobEventSession.delivered.increment()
        if frame.header.isTerminal {
            isBehind = false
            return true
        }
        return false
    }
}
