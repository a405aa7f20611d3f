import Jobs
import Knowledge
import LLM

/// The messages sent to the language model: a system prompt that grounds it in the retrieved
/// excerpts, the recent conversation, and the question.
public enum Prompt {
    /// The line after which the model lists follow-up questions; never shown to the person.
    public static let suggestionsMarker = "FOLLOW-UPS:"

    public static func messages(for context: AnswerContext) -> [ChatMessage] {
        var messages = [ChatMessage(role: .system, content: system(for: context))]
        for turn in context.history {
            messages.append(ChatMessage(role: turn.role == .user ? .user : .assistant, content: turn.content))
        }
        messages.append(ChatMessage(role: .user, content: context.job.question))
        return messages
    }

    static func system(for context: AnswerContext) -> String {
        let role: String
        switch context.job.kind {
        case .tutor:
            role = "You are the tutor inside an online course player. Answer the learner's question like a patient teacher, clearly and briefly."
        case .landing:
            role = "You are the guide on the landing page of an online course platform. Help visitors choose a course and answer questions about courses, prices and how learning works. Be brief and friendly."
        }
        let material: String
        if context.excerpts.isEmpty {
            material = "No course material matched this question. Say plainly that the materials do not cover it; do not invent an answer."
        } else {
            // Each excerpt names its source (the lesson or page, then the section), best match first.
            material = "Answer only from these excerpts of the materials, most relevant first. If they do not answer the question, say so instead of guessing. Name the lesson you draw on.\n\n"
                + context.excerpts.enumerated().map { index, excerpt in
                    "[\(index + 1)] Source: \(excerpt.lessonTitle)\nSection: \(excerpt.heading)\n\(excerpt.body)"
                }.joined(separator: "\n\n")
        }
        return """
            \(role)

            \(material)

            After the answer, write a line containing only \(suggestionsMarker) and then two or three short follow-up \
            questions the person might ask next, one per line, each starting with "- ".
            """
    }
}
