import Foundation

/// What changed in an event log, as its watcher reports it.
public enum EventLogChange: Sendable, Equatable {
    /// This job's log grew or appeared.
    case job(UUID)
    /// Track was lost (a kernel queue overflowed, a LISTEN connection came back): any job may have grown.
    case unknown
}
