/// The codes a job's failure carries that are not the model's (`LLMError.Code` has those): the
/// `failed` event's `code` and the poll's cause, in one place; a test checks the README names each.
public enum JobFailureCode: String, CaseIterable, Sendable {
    /// Its owner stopped it.
    case cancelled
    /// The attempt's task was cancelled under it (a lost lease, a stop, a shutdown).
    case interrupted
    /// Another worker holds the job now.
    case leaseLost = "lease_lost"
    /// The worker shut down and gave the job back.
    case released
    /// Workers kept losing it: out of attempts after expired leases (set by the stores' rescue).
    case workerLost = "worker_lost"
    case courseNotFound = "course_not_found"
    case storeUnavailable = "store_unavailable"
    case spoolUnavailable = "spool_unavailable"
    case eventLogUnavailable = "event_log_unavailable"
}
