import Foundation

/// What one read of a job's event log found: complete frames and where the next read starts.
///
/// Positions are byte offsets into the job's log as it would be written out whole (the spool
/// file itself, or the same bytes held in memory by a Postgres-mode replica), so a position means
/// the same in both logs.
public struct EventLogRead: Sendable, Equatable {
    /// The complete frames after the offset read from.
    public var frames: [EventFrame]
    /// The offset just past them: where the next read starts.
    public var next: Int
    /// When the log last grew (the last append), for delivery-lag metrics.
    public var modified: Date
    /// Whether the read stopped at its byte limit with more of the log after it.
    public var isPartial: Bool = false

    public init(frames: [EventFrame], next: Int, modified: Date, isPartial: Bool = false) {
        self.frames = frames
        self.next = next
        self.modified = modified
        self.isPartial = isPartial
    }
}
