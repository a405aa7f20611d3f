/// The event log a test system runs with (`EVENT_LOG`): the conformance scenarios run in both.
public enum EventLogMode: String, Sendable, CaseIterable, CustomStringConvertible {
    case spool
    case postgres

    public var description: String { rawValue }
}
