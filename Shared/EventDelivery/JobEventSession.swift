import Foundation
import Jobs
import Metrics
import NIOCore
import SSE
import ServiceLifecycle
import Spool

/// One connection's event stream: replay from the spool past `Last-Event-ID`, then the tail as
/// the worker appends, with heartbeats while idle and a timeout, until the terminal event.
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

    /// Streams events through `write` until the job ends, the timeout passes, or the task is
    /// cancelled (the client went away).
    public func run(write: (ByteBuffer) async throws -> Void) async throws {
        let configuration = source.configuration
        var lastSentId = lastEventId
        var output = ByteBuffer()
        output.writeString("retry: \(configuration.retryMilliseconds)\n\n")

        switch initial {
        case .replay(let frames):
            if Self.append(frames, to: &output, after: &lastSentId) {
                return try await write(output)
            }
        case .status(let status):
            output.writeString(ServerSentEvent(event: "status", data: JobEvent.status(status).data).framed)
        case .ended(let event, let id):
            output.writeString(ServerSentEvent(event: event.name, data: event.data, id: String(id)).framed)
            return try await write(output)
        }
        try await write(output)

        // On SIGTERM the stream ends at once: the browser reconnects with Last-Event-ID, through the
        // proxy, to a replica that stays, and misses nothing.
        try await withGracefulShutdownHandler {
            try await tail(from: offset, lastSentId: lastSentId, write: write)
        } onGracefulShutdown: { [subscription] in
            subscription.drain()
        }
    }

    /// Ends the session without writing more: the client went away.
    public func clientClosed() { subscription.clientClosed() }

    /// Waits for the job's events after the replay and writes them, until the stream ends.
    private func tail(from offset: Int, lastSentId: Int, write: (ByteBuffer) async throws -> Void) async throws {
        let configuration = source.configuration
        var offset = offset
        var lastSentId = lastSentId
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.timeout
        var lastWrite = clock.now
        // The wake-up this connection has asked the hub for; nil once it has come.
        var scheduled: ContinuousClock.Instant?
        while true {
            // Heartbeat and timeout share one wake-up; when writes moved the heartbeat later, the
            // earlier wake-up comes anyway and finds nothing to do.
            let due = min(lastWrite + configuration.heartbeat, deadline)
            if scheduled.map({ due < $0 }) ?? true {
                subscription.wake(at: due)
                scheduled = due
            }
            let wake = await subscription.next()
            if wake.closed { return }
            var buffer = ByteBuffer()
            if wake.draining {
                // A short retry: the replacement connection should come quickly.
                buffer.writeString("retry: 250\n\n")
                return try await write(buffer)
            }
            if wake.due { scheduled = nil }
            if let job = wake.stored {
                // The store saw the end; the spool may have it too by now, so prefer its exact frames.
                if try readNew(from: &offset, into: &buffer, after: &lastSentId) {
                    return try await write(buffer)
                }
                if let event = JobEvent.terminal(of: job) {
                    let id = JobStreamSource.terminalEventId(of: job, spooledUpTo: lastSentId)
                    buffer.writeString(ServerSentEvent(event: event.name, data: event.data, id: String(id)).framed)
                    return try await write(buffer)
                }
            }
            // A due wake-up also reads the file: the backstop should an inotify event ever go missing.
            if wake.spoolChanged || wake.due, try readNew(from: &offset, into: &buffer, after: &lastSentId) {
                return try await write(buffer)
            }
            let now = clock.now
            if now >= deadline {
                buffer.writeString(ServerSentEvent(event: "timeout", data: JobEvent.timeout.data).framed)
                return try await write(buffer)
            }
            if buffer.readableBytes == 0, now - lastWrite >= configuration.heartbeat {
                buffer.writeString(ServerSentEvent.comment("heartbeat"))
            }
            if buffer.readableBytes > 0 {
                try await write(buffer)
                lastWrite = now
            }
        }
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
