/// What one signed-in user may ask: every tutor question costs model tokens. Enforced by the
/// store, the one place every gateway replica shares, as the job goes in.
public struct QuestionLimits: Sendable, Equatable {
    /// Questions per minute (a fixed window on the database's clock); 0: no limit.
    public var perMinute: Int
    /// Jobs queued or running at once; 0: no limit.
    public var activeJobs: Int

    public init(perMinute: Int, activeJobs: Int) {
        self.perMinute = perMinute
        self.activeJobs = activeJobs
    }

    /// No limit at all: the anonymous guide's limit is per client address, in the gateway.
    public static let none = QuestionLimits(perMinute: 0, activeJobs: 0)

    public var isNone: Bool { perMinute <= 0 && activeJobs <= 0 }
}
