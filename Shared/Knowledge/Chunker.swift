import Foundation

/// Splits a lesson into chunks: one per section (headings `#` to `###`), long sections cut at
/// paragraph or sentence boundaries into pieces of at most `maximumLength` characters, each
/// repeating the end of the one before (`overlap`) so that no passage is cut off from its context.
public struct Chunker: Sendable {
    /// Bumped when splitting changes, so re-ingestion replaces chunks made the old way.
    public static let version = 1

    public var maximumLength = 900
    public var overlap = 150

    public init() {}

    public func chunks(of lesson: LessonContent) -> [Chunk] {
        var chunks: [Chunk] = []
        for section in sections(of: lesson.markdown) {
            let heading = ([lesson.title] + section.path).joined(separator: " — ")
            for piece in pieces(of: section.body) {
                chunks.append(Chunk(id: "\(lesson.id)#\(chunks.count)", lessonId: lesson.id, position: chunks.count, heading: heading, body: piece))
            }
        }
        return chunks
    }

    struct Section {
        var path: [String]
        var body: String
    }

    func sections(of markdown: String) -> [Section] {
        var sections: [Section] = []
        var path: [String] = []
        var lines: [Substring] = []
        var inCode = false
        func flush() {
            let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !body.isEmpty { sections.append(Section(path: path, body: body)) }
            lines.removeAll()
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inCode.toggle() }
            let level = inCode ? 0 : line.prefix { $0 == "#" }.count
            if (1...3).contains(level), line.dropFirst(level).first == " " {
                flush()
                let title = line.dropFirst(level).trimmingCharacters(in: .whitespaces)
                path = Array(path.prefix(level - 1)) + [title]
                continue
            }
            lines.append(line)
        }
        flush()
        return sections
    }

    func pieces(of body: String) -> [String] {
        guard body.count > maximumLength else { return [body] }
        var pieces: [String] = []
        var current = ""
        for unit in units(of: body) {
            if !current.isEmpty, current.count + unit.count > maximumLength {
                pieces.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = String(current.suffix(overlap)).drop { !$0.isWhitespace }.trimmingCharacters(in: .whitespaces) + " "
            }
            current += unit
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { pieces.append(last) }
        return pieces
    }

    /// Paragraphs, and sentences of paragraphs too long to keep whole.
    func units(of body: String) -> [String] {
        var units: [String] = []
        for paragraph in body.components(separatedBy: "\n\n") where !paragraph.isEmpty {
            if paragraph.count <= maximumLength - overlap {
                units.append(paragraph + "\n\n")
            } else {
                units += Sentences.split(paragraph).map { $0 + " " }
            }
        }
        return units
    }
}

