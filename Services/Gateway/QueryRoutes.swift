import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import Knowledge
import Metrics
import Questions
import StreamTokens
import UserAuth
import WireFormat

/// The assistants' routes: ask a question (202 with a stream URL), and the legacy polling endpoints.
struct QueryRoutes: Sendable {
    let store: any JobStore
    let intake: QuestionIntake
    let tokens: StreamTokenIssuer
    /// Checks the stream token that lets an anonymous visitor stop its landing answer.
    let streamTokens: StreamTokenVerifier
    let users: UserTokenVerifier
    let rateLimiter: RateLimiter
    /// Bounds an anonymous client's stops (and, in `SessionRoutes`, its conversation reads).
    let readLimiter: RateLimiter
    let streamPublicURL: String
    let trustForwardedFor: Bool

    func register(on router: Router<TutorlineRequestContext>) {
        router.post(AssistantKind.tutor.route("/query")) { request, context in
            let user = try await users.user(from: request)
            return try await accept(request, context: context, asker: .init(kind: .tutor, userId: user.sub.value))
        }
        router.post(AssistantKind.landing.route("/query")) { request, context in
            if let retryAfter = rateLimiter.admit(request.clientAddress(context: context, trustingForwardedFor: trustForwardedFor)) {
                throw APIError(.tooManyRequests, code: .rateLimited, message: "Too many questions; try again in a moment.", retryAfter: retryAfter)
            }
            let address = request.clientAddress(context: context, trustingForwardedFor: trustForwardedFor)
            return try await accept(request, context: context, asker: .init(kind: .landing, userId: "anonymous", keyScope: address))
        }
        router.get(AssistantKind.tutor.route("/job/:jobId")) { request, context in
            let user = try await users.user(from: request)
            let job = try await lookUp(context, kind: .tutor)
            guard job.userId == user.sub.value else {
                throw APIError.forbidden(.notYourJob, "This job belongs to another user.")
            }
            return try Self.statusResponse(for: job)
        }
        router.get(AssistantKind.landing.route("/job/:jobId")) { _, context in
            try Self.statusResponse(for: try await lookUp(context, kind: .landing))
        }
        registerCancel(on: router)
    }

    /// Asks through the ``QuestionIntake``; answers 202 with the job's links.
    private func accept(_ request: Request, context: TutorlineRequestContext, asker: QuestionIntake.Asker) async throws -> Response {
        let form = try await request.decodeJSONBody(as: QuestionForm.self, context: context)
        let outcome: EnqueueOutcome
        do {
            outcome = try await intake.accept(form, from: asker, idempotencyKey: request.headers[.idempotencyKey])
        } catch let error as QuestionError {
            throw APIError(error)
        } catch let error as QuestionLimitExceeded {
            throw APIError(error)
        }
        let job = outcome.job
        let links = try await JobLinks(job: job, tokens: tokens, streamPublicURL: streamPublicURL)
        let body = QueryAccepted(
            jobId: job.id.uuidString.lowercased(), status: job.status.rawValue, sessionId: job.sessionId.lowercasedString,
            streamUrl: links.streamUrl, pollUrl: links.pollUrl, cancelUrl: links.cancelUrl
        )
        if outcome.created { Counter(label: "tutorline_jobs_accepted_total", dimensions: [("assistant", asker.kind.rawValue)]).increment() }
        context.logger.info("job accepted", metadata: ["job": "\(job.id.lowercasedString)", "assistant": "\(asker.kind.rawValue)", "created": "\(outcome.created)"])
        return try Self.json(body, status: .accepted)
    }

    func lookUp(_ context: TutorlineRequestContext, kind: AssistantKind) async throws -> Job {
        guard let raw = context.parameters.get("jobId"), let id = UUID(uuidString: raw) else {
            throw APIError.invalidJobId
        }
        guard let job = try await store.job(id: id), job.kind == kind else { throw APIError.jobNotFound }
        return job
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
