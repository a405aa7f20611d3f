/// Where a job stands in its life: queued, being answered, or ended.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case queued = "QUEUED"
    case processing = "PROCESSING"
    case completed = "COMPLETED"
    case failed = "FAILED"

    /// Whether the job has ended and will never change again.
    public var isTerminal: Bool { self == .completed || self == .failed }
}
