import Foundation

/// The system of record for jobs and the work queue in one.
///
/// Implementations keep every promise below across processes: a job returned by ``enqueue(_:limits:)``
/// is durable, a claim is exclusive, and only the current lease holder changes a running job.
public protocol JobStore: Sendable {
    /// Stores a new job, or returns the job already stored under the same idempotency key
    /// (same user and assistant). Returns once the job is committed.
    ///
    /// Throws ``QuestionLimitExceeded`` when a new job would take its user past `limits`, counted
    /// exactly however many gateways ask at once; a replay of an idempotency key is never refused.
    func enqueue(_ job: NewJob, limits: QuestionLimits) async throws -> EnqueueOutcome

    /// The job with this id, or `nil`.
    func job(id: UUID) async throws -> Job?

    /// The jobs with these ids that exist, in one round trip.
    func jobs(ids: [UUID]) async throws -> [Job]

    /// Claims the oldest runnable queued job for one lease period, or returns `nil`.
    func claim(lease: Duration) async throws -> Job?

    /// Pushes the lease of a running job further; `false` when the lease was lost.
    func extendLease(jobId: UUID, leaseToken: UUID, by lease: Duration) async throws -> Bool

    /// Records the result, what it cost (`usage`, when the model said), and with it the
    /// conversation turn (the question and the answer, each exactly once per job, whatever the
    /// retries); `false` when the lease was lost.
    func complete(jobId: UUID, leaseToken: UUID, result: JobResult, usage: TokenUsage?, terminalEventId: Int) async throws -> Bool

    /// Ends a job its owner stopped: failed with code `cancelled`, the text streamed so far kept as
    /// the job's partial answer and, with the question, in the conversation, marked as stopped
    /// (each message once per job); `false` when the lease was lost.
    func stop(jobId: UUID, leaseToken: UUID, answer: String, terminalEventId: Int) async throws -> Bool

    /// Asks a job to stop. A queued job goes to the head of the queue, where a worker ends it without
    /// calling the model; a running one is flagged and its worker told through the store's wake-up
    /// channel (Postgres `NOTIFY`; SQLite's WAL watch).
    /// An ended job is left as it is. Returns the job as it stands after the request, or `nil`.
    func requestCancel(jobId: UUID) async throws -> Job?

    /// Which of these jobs someone asked to stop, or that are gone (their conversation deleted),
    /// in one round trip.
    func cancelRequested(among ids: [UUID]) async throws -> Set<UUID>

    /// Ends the job as failed; `false` when the lease was lost.
    func fail(jobId: UUID, leaseToken: UUID, code: String, message: String, terminalEventId: Int) async throws -> Bool

    /// Returns a running job to the queue, runnable again after `delay` (at once when its owner
    /// asked it to stop: the next claim ends it); `false` when the lease was lost.
    func requeue(jobId: UUID, leaseToken: UUID, after delay: Duration, reason: String) async throws -> Bool

    /// Returns jobs whose lease expired to the queue (or fails those out of attempts); returns how many.
    func rescueExpiredLeases() async throws -> Int

    /// The last `limit` messages of a conversation, oldest first.
    func history(sessionId: UUID, limit: Int) async throws -> [ChatTurn]

    /// A user's conversations with one assistant, newest activity first, `limit` at a time after
    /// `cursor`; with `courseId`, those about that course (their activity counted in it alone).
    func sessions(userId: String, kind: AssistantKind, courseId: UUID?, after cursor: SessionCursor?, limit: Int) async throws -> [SessionSummary]

    /// One conversation with its messages and its running jobs, or `nil`.
    func session(id: UUID) async throws -> SessionRecord?

    /// Deletes a conversation for good: its messages, its jobs with their results, and (Postgres)
    /// their events in the database. Running jobs lose their rows, so their workers stop writing.
    /// Returns the deleted jobs' ids (their event logs go too), or `nil` when there was no such conversation.
    func deleteSession(id: UUID) async throws -> [UUID]?

    /// Deletes up to `limit` finished jobs (completed or failed) last changed before `cutoff`, with
    /// their results and (Postgres) their events; the conversations keep their messages. Returns
    /// the deleted jobs' ids. Small batches: no lock is held for long.
    func pruneFinishedJobs(before cutoff: Date, limit: Int) async throws -> [UUID]

    /// Deletes up to `limit` of the per-user question windows (``QuestionLimits``) that began
    /// before `cutoff`: long over, a user's next question starts a new one either way, and each
    /// user who ever asked would otherwise keep a row. Returns how many went.
    func pruneQuestionWindows(before cutoff: Date, limit: Int) async throws -> Int

    /// Counts by status and the age of the oldest runnable queued job, for metrics.
    func queueStatistics() async throws -> QueueStatistics

    /// Whether the store answers at all (readiness).
    func ping() async throws
}

extension JobStore {
    /// Stores a new job with no per-user limit.
    public func enqueue(_ job: NewJob) async throws -> EnqueueOutcome {
        try await enqueue(job, limits: .none)
    }

    /// Records the result of an answer whose cost is unknown.
    public func complete(jobId: UUID, leaseToken: UUID, result: JobResult, terminalEventId: Int) async throws -> Bool {
        try await complete(jobId: jobId, leaseToken: leaseToken, result: result, usage: nil, terminalEventId: terminalEventId)
    }
}
