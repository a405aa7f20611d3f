/// Which event log carries answers from workers to stream replicas (`EVENT_LOG`).
public enum EventLogKind: String, Sendable, CaseIterable {
    /// Files on a disk every worker and replica shares (one host, or a shared volume).
    case spool
    /// The database's own table and notifications: instances need no shared disk.
    case postgres
}
