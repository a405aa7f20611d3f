import Jobs

/// What wakes a connection waiting on a job.
public enum DeliverySignal: Sendable {
    /// The job's spool file changed: read what is new.
    case spoolChanged
    /// The hub's clock ticked: time for heartbeats, timeouts and the spool backstop check.
    case tick
    /// The store says the job ended while its spool stayed silent: end the stream from the store.
    case stored(Job)
    /// The process is shutting down: end the stream so the browser reconnects to another replica.
    case draining
}
