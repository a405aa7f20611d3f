import Foundation

/// Produces the answer of one claimed job; the worker's business logic.
public protocol JobHandler: Sendable {
    /// Answers the job. On success the handler itself records the result in the store and then
    /// appends the terminal event, in that order. Throws ``JobFailure`` when it cannot.
    func process(_ job: Job) async throws(JobFailure)

    /// Ends the job as failed: records the failure in the store, then tells the browser.
    func finishFailed(_ job: Job, failure: JobFailure) async
}
