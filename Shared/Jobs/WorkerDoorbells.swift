/// What a store's wake-up channel rings in a worker: new work, and requests to stop running jobs.
public struct WorkerDoorbells: Sendable {
    /// Rung when new jobs may be waiting.
    public let work: Doorbell
    /// Rung when a running job may have been asked to stop.
    public let cancellations: Doorbell

    public init(work: Doorbell = Doorbell(), cancellations: Doorbell = Doorbell()) {
        self.work = work
        self.cancellations = cancellations
    }
}
