import Jobs

/// What wakes a connection waiting on a job.
public enum DeliverySignal: Sendable {
    /// The job's spool file changed: read what is new.
    case logChanged
    /// The connection's scheduled wake-up came: time for a heartbeat, the timeout, and a spool
    /// check that does not rely on inotify.
    case due
    /// The store says the job ended while its spool stayed silent: end the stream from the store.
    case stored(Job)
    /// The process is shutting down: end the stream so the browser reconnects to another replica.
    case draining
}

/// The signals a connection received since it last looked, merged: ten appends in a row are one
/// spool read, and nothing queues per connection however fast the worker writes.
public struct DeliveryWake: Sendable {
    public var logChanged = false
    public var due = false
    public var stored: Job?
    public var draining = false

    public init() {}

    /// Whether nothing arrived.
    public var isEmpty: Bool { !logChanged && !due && stored == nil && !draining }

    mutating func merge(_ signal: DeliverySignal) {
        switch signal {
        case .logChanged: logChanged = true
        case .due: due = true
        case .stored(let job): stored = job
        case .draining: draining = true
        }
    }
}
