import Foundation
import Jobs
import Metrics
import NIOCore
import SSE
import EventLog

/// One connection's event stream: replay from the spool past `Last-Event-ID`, then the tail as
/// the worker appends, with heartbeats while idle and a timeout, until the terminal event.
///
/// Synchronous steps, driven by the connection's event loop (`EventStreamChannelHandler`): a
/// waiting browser costs its channel and a few small objects, no task.
public struct JobEventSession: Sendable {
    enum Initial: Sendable {
        /// Frames from the spool file.
        case replay([EventFrame])
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
    /// Where the tail reads on from: past the replayed frames.
    let offset: Int
    /// Whether the spool holds frames past the replay (it was cut at a chunk).
    var replayIsCut = false
    /// The stream's place under its token's bound (``StreamAdmission``), held while it is open.
    public var permit: StreamPermit?

    /// The `retry:` line and the replay (or the store's word when there is no spool file yet), and
    /// the tail that follows them, or nil when the stream ends with them.
    ///
    /// A replay longer than `replayChunk` was cut there (`replayIsCut`): the tail sends the rest,
    /// a chunk at a time as the browser reads, so a connection holds at most about a chunk unsent
    /// (a reader that never reads cannot make the process keep a whole long answer for it).
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
        var tail = JobEventTail(job: job, subscription: subscription, source: source, offset: offset, lastSentId: lastSentId)
        tail.isBehind = replayIsCut
        tail.permit = permit
        return (output, tail)
    }

    static let delivered = Counter(label: "tutorline_sse_events_delivered_total")
    static let spoolLag = Timer(label: "tutorline_spool_lag_seconds")

    /// Appends the frames newer than `lastSentId`; returns whether a terminal frame was among them.
    static func append(_ frames: some Sequence<EventFrame>, to buffer: inout ByteBuffer, after lastSentId: inout Int) -> Bool {
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
