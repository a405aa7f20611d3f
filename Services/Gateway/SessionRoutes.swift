import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import Knowledge
import Questions
import StreamTokens
import UserAuth

/// Past conversations: the tutor's list of a user's conversations, and for both assistants one
/// conversation read back or deleted for good. A tutor conversation is its owner's alone; an
/// anonymous landing conversation is readable by whoever holds its id (a random UUID the
/// visitor's browser keeps).
struct SessionRoutes: Sendable {
    let store: any JobStore
    let knowledge: any KnowledgeStore
    let users: UserTokenVerifier
    let tokens: StreamTokenIssuer
    let streamPublicURL: String
    /// Bounds an anonymous client's reads and deletions (the landing guide's routes have no sign-in).
    let readLimiter: RateLimiter
    let trustForwardedFor: Bool
    /// The most conversations one page holds, and how many when the client does not say.
    static let maximumPage = 50
    static let defaultPage = 20

    func register(on router: Router<TutorlineRequestContext>) {
        router.get(AssistantKind.tutor.route("/sessions")) { request, _ in
            let user = try await users.user(from: request)
            return try await list(request, userId: user.sub.value)
        }
        router.get(AssistantKind.tutor.route("/sessions/:sessionId")) { request, context in
            let user = try await users.user(from: request)
            return try QueryRoutes.json(try await body(of: try await owned(context, kind: .tutor, by: user.sub.value)), status: .ok)
        }
        router.delete(AssistantKind.tutor.route("/sessions/:sessionId")) { request, context in
            let user = try await users.user(from: request)
            return try await delete(try await owned(context, kind: .tutor, by: user.sub.value), context: context)
        }
        router.get(AssistantKind.landing.route("/sessions/:sessionId")) { request, context in
            try request.admit(by: readLimiter, context: context, trustingForwardedFor: trustForwardedFor)
            return try QueryRoutes.json(try await body(of: try await owned(context, kind: .landing, by: nil)), status: .ok)
        }
        router.delete(AssistantKind.landing.route("/sessions/:sessionId")) { request, context in
            try request.admit(by: readLimiter, context: context, trustingForwardedFor: trustForwardedFor)
            return try await delete(try await owned(context, kind: .landing, by: nil), context: context)
        }
    }

    private func list(_ request: Request, userId: String) async throws -> Response {
        let parameters = request.uri.queryParameters
        var courseId: UUID?
        let reference: String?
        do {
            reference = try QuestionForm.validatedIdentifier(parameters.get("courseId"), field: "courseId")
        } catch {
            throw APIError(error)
        }
        if let reference, !reference.isEmpty {
            guard let course = try await knowledge.resolveCourse(reference) else {
                throw APIError.notFound(.courseNotFound, "There is no course \"\(reference.prefix(100))\".")
            }
            courseId = course.id
        }
        var limit = Self.defaultPage
        if let raw = parameters.get("limit") {
            guard let value = Int(raw), (1...Self.maximumPage).contains(value) else {
                throw APIError.badRequest(.invalidLimit, "limit must be a whole number from 1 to \(Self.maximumPage).")
            }
            limit = value
        }
        var cursor: SessionCursor?
        if let raw = parameters.get("cursor"), !raw.isEmpty {
            guard let value = SessionCursor(encoded: raw) else {
                throw APIError.badRequest(.invalidCursor, "cursor must be a nextCursor this endpoint returned.")
            }
            cursor = value
        }
        // One more than the page: whether another page follows, without a count.
        let found = try await store.sessions(userId: userId, kind: .tutor, courseId: courseId, after: cursor, limit: limit + 1)
        let page = found.prefix(limit)
        return try QueryRoutes.json(SessionListBody(
            sessions: page.map { .init(sessionId: $0.id.lowercasedString, title: $0.title, createdAt: $0.createdAt.wireTimestamp, lastActivity: $0.lastActivity.wireTimestamp) },
            nextCursor: found.count > limit ? page.last?.cursor.encoded : nil
        ), status: .ok)
    }

    /// The conversation the path names, when it is this assistant's and, for the tutor, `userId`'s.
    private func owned(_ context: TutorlineRequestContext, kind: AssistantKind, by userId: String?) async throws -> SessionRecord {
        guard let raw = context.parameters.get("sessionId"), let id = UUID(uuidString: raw) else {
            throw APIError.badRequest(.invalidSessionId, "The session id must be a UUID.")
        }
        guard let session = try await store.session(id: id), session.kind == kind else {
            throw APIError.notFound(.sessionNotFound, "There is no such conversation.")
        }
        if let userId, session.userId != userId {
            throw APIError.forbidden(.sessionNotYours, "This conversation belongs to someone else.")
        }
        return session
    }

    private func body(of session: SessionRecord) async throws -> SessionBody {
        var running: [SessionBody.Running] = []
        for job in session.running {
            let links = try await JobLinks(job: job, tokens: tokens, streamPublicURL: streamPublicURL)
            running.append(.init(
                jobId: job.id.lowercasedString, status: job.status.rawValue, question: job.question,
                streamUrl: links.streamUrl, pollUrl: links.pollUrl, cancelUrl: links.cancelUrl
            ))
        }
        return SessionBody(
            sessionId: session.id.lowercasedString,
            messages: session.messages.map {
                .init(
                    jobId: $0.jobId.lowercasedString, role: $0.role.rawValue, content: $0.content, stopped: $0.stopped,
                    createdAt: $0.createdAt.wireTimestamp, sources: $0.sources, nextSuggestions: $0.nextSuggestions
                )
            },
            running: running
        )
    }

    private func delete(_ session: SessionRecord, context: TutorlineRequestContext) async throws -> Response {
        // Gone between the read and now (a second tab): deleted all the same.
        let jobs = try await store.deleteSession(id: session.id) ?? []
        context.logger.info("conversation deleted", metadata: ["session": "\(session.id.lowercasedString)", "jobs": "\(jobs.count)"])
        return Response(status: .noContent, headers: [.cacheControl: "no-store"])
    }
}
