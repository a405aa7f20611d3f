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
        let text = Self.compose(context, maximumSentences: maximumSentences)
        do {
            for piece in Self.pieces(of: text) {
                try await onDelta(piece)
                if pace > .zero { try await Task.sleep(for: pace) }
            }
        } catch is CancellationError {
            throw JobFailure(code: "cancelled", message: "The answer was cancelled.", isTransient: true)
        } catch {
            throw JobFailure(code: "spool_unavailable", message: "The answer could not be delivered (\(error)).", isTransient: true)
        }
        return AnswerExtras(nextSuggestions: Self.suggestions(context), sources: context.sources)
    }

    /// The answer's text.
    static func compose(_ context: AnswerContext, maximumSentences: Int) -> String {
        let where_ = context.job.kind == .tutor ? "this course's materials" : "our course catalog and pages"
        guard !context.excerpts.isEmpty else {
            return "I could not find anything about that in \(where_), so I would rather not guess. "
                + "Try asking with other words, or about a topic the lessons cover. \(label)"
        }
        let keywords = Sentences.keywords(context.job.question)
        struct Candidate {
            var excerpt: Int
            var order: Int
            var sentence: String
            var score: Double
        }
        var candidates: [Candidate] = []
        for (excerptIndex, excerpt) in context.excerpts.prefix(3).enumerated() {
            for (order, sentence) in Sentences.split(excerpt.body).enumerated() where sentence.count >= 25 && !sentence.hasPrefix("```") {
                let overlap = Double(Sentences.keywords(sentence).intersection(keywords).count)
                // Earlier excerpts rank higher; a sentence needs at least one shared word unless nothing does.
                candidates.append(Candidate(excerpt: excerptIndex, order: order, sentence: sentence, score: overlap - Double(excerptIndex) * 0.5))
            }
        }
        var chosen = candidates.filter { $0.score > 0 }.sorted { $0.score > $1.score }.prefix(maximumSentences)
        if chosen.isEmpty { chosen = candidates.filter { $0.excerpt == 0 }.prefix(2) }
        var text = "Here is what \(where_) say about that:\n"
        for (excerptIndex, excerpt) in context.excerpts.prefix(3).enumerated() {
            let sentences = chosen.filter { $0.excerpt == excerptIndex }.sorted { $0.order < $1.order }.map(\.sentence)
            guard !sentences.isEmpty else { continue }
            text += "\nFrom “\(excerpt.lessonTitle)”: " + sentences.joined(separator: " ") + "\n"
        }
        return text + "\n\(label)"
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
