import Foundation

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
