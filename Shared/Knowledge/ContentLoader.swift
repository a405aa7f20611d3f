import Foundation

/// Reads the content folder: `courses/<slug>/course.md` plus lesson files, and `landing/*.md`.
///
/// Every file starts with front matter between `---` lines (`key: value`); `course.md` carries
/// `id`, `slug`, `title` and comma-separated `aliases`, lessons and pages a `title`. Lessons are
/// ordered by file name.
public struct ContentLoader: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init() {}

    public func load(directory: String) throws -> KnowledgeContent {
        let root = URL(fileURLWithPath: directory)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "\(directory) is not a folder")
        }
        var courses: [CourseContent] = []
        let coursesRoot = root.appendingPathComponent("courses")
        for folder in (try? fileManager.contentsOfDirectory(atPath: coursesRoot.path))?.sorted() ?? [] {
            let courseFolder = coursesRoot.appendingPathComponent(folder)
            let courseFile = courseFolder.appendingPathComponent("course.md")
            guard fileManager.fileExists(atPath: courseFile.path) else { continue }
            let (fields, _) = try frontMatter(of: courseFile)
            guard let rawId = fields["id"], let id = UUID(uuidString: rawId) else {
                throw Failure(description: "\(courseFile.path): front matter needs an id (a UUID)")
            }
            let slug = fields["slug"] ?? folder
            let course = Course(
                id: id, slug: slug, title: fields["title"] ?? slug,
                aliases: (fields["aliases"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            )
            courses.append(CourseContent(course: course, lessons: try lessons(in: courseFolder, scope: slug, skipping: "course.md")))
        }
        let landing = try lessons(in: root.appendingPathComponent("landing"), scope: "landing", skipping: nil)
        guard !courses.isEmpty || !landing.isEmpty else {
            throw Failure(description: "\(directory) holds no courses/<slug>/course.md and no landing/*.md")
        }
        return KnowledgeContent(courses: courses, landing: landing)
    }

    private func lessons(in folder: URL, scope: String, skipping: String?) throws -> [LessonContent] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".md") && $0 != skipping }
            .sorted()
        return try names.enumerated().map { position, name in
            let file = folder.appendingPathComponent(name)
            let (fields, body) = try frontMatter(of: file)
            let stem = String(name.dropLast(3))
            return LessonContent(id: "\(scope)/\(stem)", title: fields["title"] ?? stem, position: position, markdown: body)
        }
    }

    func frontMatter(of file: URL) throws -> (fields: [String: String], body: String) {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw Failure(description: "\(file.path): cannot read as UTF-8")
        }
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") else {
            return ([:], text)
        }
        var fields: [String: String] = [:]
        for line in lines[1..<end] {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingCharacters(in: .whitespaces)] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (fields, lines[(end + 1)...].joined(separator: "\n"))
    }
}
