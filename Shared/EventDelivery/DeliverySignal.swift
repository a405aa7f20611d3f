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
