import Foundation

/// Where a job's events travel from the worker to the stream replicas: append-only, numbered
/// frames per job, exactly as they go on the wire.
///
/// Two implementations, chosen by `EVENT_LOG`: `Spool` (a file per job on a disk that every
/// worker and replica shares, watched with inotify) and `PostgresEventLog` (rows in the
/// database every instance already reaches, announced by NOTIFY). The worker and the pruner use
/// this protocol; stream replicas read through ``EventLogReader``.
public protocol EventLog: Sendable {
    /// Opens a job's log for appending, with what earlier attempts wrote to it.
    ///
    /// - Parameter startsEmpty: the caller knows nothing was written yet (a job's first
    ///   attempt), so the log need not be read first (a statement saved per job in Postgres).
    func writer(for job: UUID, startsEmpty: Bool) async throws(EventLogError) -> any EventLogWriter

    /// Deletes the logs whose job ended (last frame `completed` or `failed`) and that were last
    /// written before `endedBefore`, and logs without an end last written before `unendedBefore`
    /// (a job that may still be retried keeps its log longer). Returns how many jobs' logs went.
    func prune(endedBefore: Date, unendedBefore: Date) async throws(EventLogError) -> Int
}

/// Appends one job's events, numbering them on from the last one in the log.
///
/// One writer per job at a time (the job's lease holder). Appends are taken in order; an
/// implementation may send them on a moment later in batches (Postgres), so ``flush()`` is
/// where a caller learns that everything it appended is in the log.
public protocol EventLogWriter: AnyObject, Sendable {
    /// The job this writer appends to.
    var job: UUID { get }
    /// The frames the log held when it was opened: an earlier attempt's events.
    var existingFrames: [EventFrame] { get }
    /// The id of the last event appended (or found in the log).
    var lastEventId: Int { get }
    /// Appends one event with the next id; returns that id. Throws a failure of an earlier
    /// append that was sent on since.
    @discardableResult
    func append(event: String, data: String) throws(EventLogError) -> Int
    /// Returns once every event appended so far is in the log, or throws why it is not.
    func flush() async throws(EventLogError)
}

/// How a stream replica reads jobs' logs: synchronously, on a connection's event loop, once
/// ``prepare(job:)`` has made the job's log readable here.
///
/// Positions are byte offsets into the job's frames laid end to end, the same in both logs.
public protocol EventLogReader: Sendable {
    /// Makes the job's log readable by ``read(job:from:maximumBytes:wholeLongFrame:)`` (the
    /// Postgres log loads it into memory; the spool has nothing to do). Call after subscribing
    /// to the job's changes, so that no append falls between.
    func prepare(job: UUID) async throws(EventLogError)

    /// The complete frames from `offset` on: `nil` when the job has no log yet. At most
    /// `maximumBytes` (more only when one frame is longer, unless `wholeLongFrame` is false: then
    /// no frame, `isPartial` set, and ``skipFrame(job:at:chunk:)`` steps over it).
    func read(job: UUID, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead?

    /// The `event:` and `id:` lines of the frame at `offset`, and the offset past it, without
    /// holding the whole frame; nil when it is not complete yet.
    func skipFrame(job: UUID, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)?
}

extension EventLogReader {
    /// Reads everything from `offset` on.
    public func read(job: UUID, from offset: Int) throws(EventLogError) -> EventLogRead? {
        try read(job: job, from: offset, maximumBytes: .max, wholeLongFrame: true)
    }
}
