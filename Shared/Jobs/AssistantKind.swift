/// The two assistants Tutorline answers for.
///
/// The raw value is the stream token audience (`aud`) of the assistant's jobs.
public enum AssistantKind: String, Codable, Sendable, CaseIterable {
    /// The course-player tutor: signed-in users, answers from the course's materials.
    case tutor = "assistant"
    /// The landing-page guide: anonymous visitors.
    case landing = "landing"

    /// The path prefix of this assistant's routes (`/assistant` or `/api/landing-assistant`).
    public var routePrefix: String {
        switch self {
        case .tutor: "/assistant"
        case .landing: "/api/landing-assistant"
        }
    }
}
