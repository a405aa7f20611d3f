import Foundation

/// How a stream replica reads jobs' logs: synchronously, on a connection's event loop, once
/// ``prepare(job:)`` has made the job's log readable here.
///
/// Positions are byte offsets into the job's frames laid end to end, the same in both logs.
public protocol EventLogReader: Sendable {
    /// Makes the job's log readable by ``read(job:from:maximumBytes:wholeLongFrame:)`` (the
    /// Postgres log loads it into memory; the spool has nothing to do). Call after subscribing
    /// to the job's changes, so that no append falls between.
    func prepare(job: UUID) async throws(EventLogError)

    /// Makes the reads see every event committed before this call: the store said the job ended,
    /// so its whole log is written, and a replica must not answer from the store's end alone
    /// while its copy lags. The spool reads the file itself; the Postgres mirror reads the table
    /// now rather than wait for a notification still on its way.
    func refresh(job: UUID) async throws(EventLogError)

    /// The complete frames from `offset` on: `nil` when the job has no log yet. At most
    /// `maximumBytes` (more only when one frame is longer, unless `wholeLongFrame` is false: then
    /// no frame, `isPartial` set, and ``skipFrame(job:at:chunk:)`` steps over it).
    func read(job: UUID, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead?

    /// The `event:` and `id:` lines of the frame at `offset`, and the offset past it, without
    /// holding the whole frame; nil when it is not complete yet.
    func skipFrame(job: UUID, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)?

    /// How many bytes the job's log holds, nil when it has none here: a look far cheaper than a
    /// read, for the periodic check that nothing went unannounced.
    func length(job: UUID) -> Int?

    /// Up to `maximumBytes` of the log as written, from `offset`, which may lie inside a frame:
    /// a frame longer than a connection should hold is sent a slice at a time. Empty when nothing
    /// is there; nil when the job has no log.
    func bytes(job: UUID, from offset: Int, maximumBytes: Int) throws(EventLogError) -> ArraySlice<UInt8>?
}

extension EventLogReader {
    /// Reads everything from `offset` on.
    public func read(job: UUID, from offset: Int) throws(EventLogError) -> EventLogRead? {
        try read(job: job, from: offset, maximumBytes: .max, wholeLongFrame: true)
    }
}
