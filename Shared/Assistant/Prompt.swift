import Jobs
import LLM

/// The messages sent to the language model for a job.
public enum Prompt {
    public static func messages(for job: Job) -> [ChatMessage] {
        [ChatMessage(role: .system, content: system(for: job)), ChatMessage(role: .user, content: job.question)]
    }

    static func system(for job: Job) -> String {
        switch job.kind {
        case .tutor:
            """
            You are the tutor inside an online course player. The learner is studying the course \
            "\(job.courseRef ?? "unknown")"\(job.lessonId.map { ", lesson \($0)" } ?? ""). Answer their question \
            clearly and briefly, as a patient teacher would. If you do not know, say so rather than guess.
            """
        case .landing:
            """
            You are the guide on the landing page of an online course platform. Help visitors choose a \
            course and answer questions about the courses, prices and how learning works. Be brief and friendly. \
            If you do not know, say so rather than guess.
            """
        }
    }
}
