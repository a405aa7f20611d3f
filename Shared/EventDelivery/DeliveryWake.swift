import Jobs

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
