import Foundation

/// A course and its lessons, as read from the content folder.
public struct CourseContent: Sendable, Equatable {
    public var course: Course
    public var lessons: [LessonContent]

    public init(course: Course, lessons: [LessonContent]) {
        self.course = course
        self.lessons = lessons
    }
}
