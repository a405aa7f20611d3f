/// What an ingestion must do to one scope, given the lesson hashes already stored: the same
/// decision for every store.
public struct IngestPlan: Sendable {
    /// Lessons new or changed since they were stored: write them and replace their chunks.
    public var toWrite: [LessonContent] = []
    /// Stored lessons no longer in the content: delete them and their chunks.
    public var toRemove: [String] = []

    /// - Parameter stored: lesson id → content hash, as stored for the scope.
    public init(lessons: [LessonContent], stored: [String: String], report: inout IngestReport) {
        for lesson in lessons {
            switch stored[lesson.id] {
            case lesson.contentHash:
                report.lessonsUnchanged += 1
            case nil:
                report.lessonsAdded += 1
                toWrite.append(lesson)
            default:
                report.lessonsChanged += 1
                toWrite.append(lesson)
            }
        }
        let present = Set(lessons.map(\.id))
        toRemove = stored.keys.filter { !present.contains($0) }.sorted()
        report.lessonsRemoved += toRemove.count
    }
}
