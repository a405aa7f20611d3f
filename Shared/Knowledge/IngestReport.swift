import Foundation

/// What an ingestion changed.
public struct IngestReport: Sendable, Equatable, CustomStringConvertible {
    public var courses = 0
    public var lessonsAdded = 0
    public var lessonsChanged = 0
    public var lessonsUnchanged = 0
    public var lessonsRemoved = 0
    public var chunksWritten = 0

    public init() {}

    public var description: String {
        "\(courses) course(s); lessons: \(lessonsAdded) added, \(lessonsChanged) changed, \(lessonsUnchanged) unchanged, \(lessonsRemoved) removed; \(chunksWritten) chunk(s) written"
    }
}
