import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import Knowledge
import Metrics
import StreamTokens
import UserAuth

/// The assistants' routes: ask a question (202 with a stream URL), and the legacy polling endpoints.
struct QueryRoutes: Sendable {
    let store: any JobStore
    let knowledge: any KnowledgeStore
    let tokens: StreamTokenIssuer
    /// Checks the stream token that lets an anonymous visitor stop its landing answer.
    let streamTokens: StreamTokenVerifier
    let users: UserTokenVerifier
    let rateLimiter: RateLimiter
    /// Bounds an anonymous client's stops (and, in `SessionRoutes`, its conversation reads).
    let readLimiter: RateLimiter
    let streamPublicURL: String
    let maxAttempts: Int
    let trustForwardedFor: Bool

    func register(on router: Router<TutorlineRequestContext>) {
        router.post("/assistant/query") { request, context in
            let user = try await users.user(from: request)
            return try await accept(request, context: context, kind: .tutor, userId: user.sub.value)
        }
        router.post("/api/landing-assistant/query") { request, context in
            if let retryAfter = rateLimiter.admit(request.clientAddress(context: context, trustingForwardedFor: trustForwardedFor)) {
                throw APIError(.tooManyRequests, code: .rateLimited, message: "Too many questions; try again in a moment.", retryAfter: retryAfter)
            }
            return try await accept(request, context: context, kind: .landing, userId: "anonymous", keyScope: request.clientAddress(context: context, trustingForwardedFor: trustForwardedFor))
        }
        router.get("/assistant/job/:jobId") { request, context in
            let user = try await users.user(from: request)
            let job = try await lookUp(context, kind: .tutor)
            guard job.userId == user.sub.value else {
                throw APIError.forbidden(.notYourJob, "This job belongs to another user.")
            }
            return try Self.statusResponse(for: job)
        }
        router.get("/api/landing-assistant/job/:jobId") { _, context in
            try Self.statusResponse(for: try await lookUp(context, kind: .landing))
        }
        registerCancel(on: router)
    }

    /// - Parameter keyScope: for anonymous clients, who all share one user id, the client address
    ///   their idempotency keys are scoped to.
    private func accept(
        _ request: Request, context: TutorlineRequestContext, kind: AssistantKind, userId: String, keyScope: String? = nil
    ) async throws -> Response {
        let idempotencyKey = try Self.idempotencyKey(request).map { key in keyScope.map { "\($0) \(key)" } ?? key }
        let query = try await request.decodeJSONBody(as: QueryRequest.self, context: context)
        let question = try query.validatedQuestion()
        let sessionId = try query.validatedSessionId()
        let lessonId = try QueryRequest.validatedIdentifier(query.lessonId, field: "lessonId")
        var courseRef: String?
        var courseId: UUID?
        if kind == .tutor {
            guard let reference = try QueryRequest.validatedIdentifier(query.courseId, field: "courseId")?.trimmingCharacters(in: .whitespaces),
                !reference.isEmpty
            else {
                throw APIError.badRequest(.missingCourse, "The field \"courseId\" is required.")
            }
            guard let course = try await knowledge.resolveCourse(reference) else {
                throw APIError.notFound(.courseNotFound, "There is no course \"\(reference.prefix(100))\".")
            }
            courseRef = reference
            courseId = course.id
        }
        let outcome: EnqueueOutcome
        do {
            outcome = try await store.enqueue(NewJob(
                kind: kind, question: question, courseRef: courseRef, courseId: courseId, lessonId: kind == .tutor ? lessonId : nil,
                sessionId: sessionId, userId: userId, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts
            ))
        } catch let error as JobStoreError where error.code == .idempotencyConflict {
            throw APIError(.conflict, code: .idempotencyKeyReused, message: error.message)
        } catch let error as JobStoreError where error.code == .sessionNotOwned {
            throw APIError.forbidden(.sessionNotYours, error.message)
        }
        let job = outcome.job
        let links = try await JobLinks(job: job, tokens: tokens, streamPublicURL: streamPublicURL)
        let body = QueryAccepted(
            jobId: job.id.uuidString.lowercased(), status: job.status.rawValue,
            streamUrl: links.streamUrl, pollUrl: links.pollUrl, cancelUrl: links.cancelUrl
        )
        if outcome.created { Counter(label: "tutorline_jobs_accepted_total", dimensions: [("assistant", kind.rawValue)]).increment() }
        context.logger.info("job accepted", metadata: ["job": "\(job.id.lowercasedString)", "assistant": "\(kind.rawValue)", "created": "\(outcome.created)"])
        return try Self.json(body, status: .accepted)
    }

    func lookUp(_ context: TutorlineRequestContext, kind: AssistantKind) async throws -> Job {
        guard let raw = context.parameters.get("jobId"), let id = UUID(uuidString: raw) else {
            throw APIError.invalidJobId
        }
        guard let job = try await store.job(id: id), job.kind == kind else { throw APIError.jobNotFound }
        return job
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw APIError.badRequest(.invalidIdempotencyKey, "The Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        return key
    }

    static func statusResponse(for job: Job, status: HTTPResponse.Status = .ok) throws -> Response {
        try json(JobStatusBody(
            jobId: job.id.uuidString.lowercased(), status: job.status.rawValue,
            result: job.status == .completed ? job.result : nil,
            errorMessage: job.status == .failed ? job.errorMessage : nil
        ), status: status)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder.wire()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}
