import Foundation
import Jobs
import Knowledge

/// Answers without a language model: the sentences of the retrieved excerpts that share the most
/// words with the question, attributed to their lessons, and labelled as such. Used when no
/// `LLM_BASE_URL` is configured, so the system is useful out of the box.
public struct OfflineAnswerEngine: AnswerEngine {
    /// A pause between streamed pieces, so a person sees the answer arrive as it would from a model.
    let pace: Duration
    let maximumSentences = 5

    public init(pace: Duration = .milliseconds(15)) {
        self.pace = pace
    }

    public static let label = "(Built from course excerpts: no language model is configured.)"

    public func answer(_ context: AnswerContext, onDelta: @escaping @Sendable (String) async throws -> Void) async throws(JobFailure) -> AnswerExtras {
        let (text, used) = Self.compose(context, maximumSentences: maximumSentences)
        do {
            for piece in Self.pieces(of: text) {
                try await onDelta(piece)
                if pace > .zero { try await Task.sleep(for: pace) }
            }
        } catch is CancellationError {
            // The attempt's task was cancelled (a lost lease, a stop, a shutdown): the worker decides what follows.
            throw JobFailure(.interrupted, message: "The answer was interrupted.", isTransient: true)
        } catch {
            throw JobFailure(.spoolUnavailable, message: "The answer could not be delivered (\(error)).", isTransient: true)
        }
        // The sources are the excerpts quoted, in the order they ranked: not every excerpt found.
        return AnswerExtras(nextSuggestions: Self.suggestions(context), sources: context.sources(of: used))
    }

    /// The answer's text, and the excerpts it quotes (their indices, in rank order).
    static func compose(_ context: AnswerContext, maximumSentences: Int) -> (text: String, used: [Int]) {
        let where_ = context.job.kind == .tutor ? "this course's materials" : "our course catalog and pages"
        guard !context.excerpts.isEmpty else {
            let text = "I could not find anything about that in \(where_), so I would rather not guess. "
                + "Try asking with other words, or about a topic the lessons cover. \(label)"
            return (text, [])
        }
        let keywords = Sentences.keywords(context.job.question)
        struct Candidate {
            var excerpt: Int
            var order: Int
            var sentence: String
            var score: Double
        }
        var candidates: [Candidate] = []
        var seen: Set<String> = []
        for (excerptIndex, excerpt) in context.excerpts.prefix(3).enumerated() {
            for (order, sentence) in Sentences.split(plainText(excerpt.body)).enumerated() where sentence.count >= 25 {
                // Chunks overlap, so the same sentence can come twice.
                guard seen.insert(sentence).inserted else { continue }
                let overlap = Double(Sentences.keywords(sentence).intersection(keywords).count)
                candidates.append(Candidate(excerpt: excerptIndex, order: order, sentence: sentence, score: overlap - Double(excerptIndex) * 0.25))
            }
        }
        var chosen = Array(candidates.filter { $0.score > 0 }.sorted { $0.score > $1.score }.prefix(maximumSentences))
        if chosen.isEmpty { chosen = Array(candidates.filter { $0.excerpt == 0 }.prefix(2)) }
        // One paragraph per lesson, in the order the lessons ranked, sentences in reading order.
        var text = "Here is what \(where_) say about that:\n"
        var lessons: [String] = []
        for excerpt in context.excerpts.prefix(3) where !lessons.contains(excerpt.lessonTitle) { lessons.append(excerpt.lessonTitle) }
        for lesson in lessons {
            let sentences = chosen
                .filter { context.excerpts[$0.excerpt].lessonTitle == lesson }
                .sorted { ($0.excerpt, $0.order) < ($1.excerpt, $1.order) }
                .map(\.sentence)
            guard !sentences.isEmpty else { continue }
            text += "\nFrom “\(lesson)”: " + sentences.joined(separator: " ") + "\n"
        }
        return (text + "\n\(label)", Array(Set(chosen.map(\.excerpt))).sorted())
    }

    /// The prose of a Markdown chunk: code blocks dropped, list markers and emphasis removed.
    static func plainText(_ markdown: String) -> String {
        var lines: [String] = []
        var inCode = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inCode.toggle()
                continue
            }
            guard !inCode else { continue }
            var text = trimmed
            for marker in ["- ", "* ", "> "] where text.hasPrefix(marker) { text = String(text.dropFirst(marker.count)) }
            while text.hasPrefix("#") { text = String(text.dropFirst()) }
            if let dot = text.firstIndex(of: "."), !text[..<dot].isEmpty, text[..<dot].allSatisfy(\.isNumber) {
                text = String(text[text.index(after: dot)...])
            }
            text = text.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "__", with: "").replacingOccurrences(of: "`", with: "")
            lines.append(text.trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: "\n")
    }

    /// Streams a few words at a time.
    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var words = 0
        for character in text {
            current.append(character)
            if character == " " || character == "\n" {
                words += 1
                if words == 4 {
                    pieces.append(current)
                    current = ""
                    words = 0
                }
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Follow-ups from the sections the answer touched and the lessons around them.
    static func suggestions(_ context: AnswerContext) -> [String] {
        var suggestions: [String] = []
        var seenTopics: Set<String> = []
        for excerpt in context.excerpts {
            let topic = excerpt.heading.components(separatedBy: " — ").last ?? excerpt.lessonTitle
            guard topic != excerpt.lessonTitle || excerpt.heading == excerpt.lessonTitle, !seenTopics.contains(topic) else { continue }
            seenTopics.insert(topic)
            suggestions.append("Can you explain “\(topic)” in more detail?")
            if suggestions.count == 2 { break }
        }
        if let other = context.excerpts.map(\.lessonTitle).first(where: { !seenTopics.contains($0) }), suggestions.count < 3 {
            suggestions.append("What else does “\(other)” cover?")
        }
        return suggestions
    }
}
