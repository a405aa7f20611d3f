import Foundation

/// Everything `tutorline-worker ingest` loads.
public struct KnowledgeContent: Sendable, Equatable {
    public var courses: [CourseContent]
    public var landing: [LessonContent]

    public init(courses: [CourseContent], landing: [LessonContent]) {
        self.courses = courses
        self.landing = landing
    }
}
