import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import StreamTokens

extension QueryRoutes {
    /// `POST <prefix>/job/:jobId/cancel`: stops an answer. The tutor's jobs stop for their owner's
    /// bearer token; a landing job for whoever holds its stream token (the anonymous visitor has
    /// nothing else). 202 with the job's status when the stop was asked; 200 with the status when
    /// the job had already ended (nothing to stop, not an error).
    func registerCancel(on router: Router<TutorlineRequestContext>) {
        router.post(AssistantKind.tutor.route("/job/:jobId/cancel")) { request, context in
            let user = try await users.user(from: request)
            let job = try await lookUp(context, kind: .tutor)
            guard job.userId == user.sub.value else {
                throw APIError.forbidden(.notYourJob, "This job belongs to another user.")
            }
            return try await stop(job, context: context)
        }
        router.post(AssistantKind.landing.route("/job/:jobId/cancel")) { request, context in
            try request.admit(by: readLimiter, context: context, trustingForwardedFor: trustForwardedFor)
            guard let raw = context.parameters.get("jobId"), let id = UUID(uuidString: raw) else {
                throw APIError.invalidJobId
            }
            // The token first: a request without the right to stop costs no query.
            let token = APIError.streamToken(query: request.uri.queryParameters.get("token"), authorization: request.headers[.authorization])
            do throws(StreamTokenError) {
                _ = try await streamTokens.verify(token, job: id, audience: AssistantKind.landing.rawValue)
            } catch {
                throw APIError(error)
            }
            return try await stop(try await lookUp(context, kind: .landing), context: context)
        }
    }

    private func stop(_ job: Job, context: TutorlineRequestContext) async throws -> Response {
        guard !job.status.isTerminal else { return try Self.statusResponse(for: job) }
        guard let asked = try await store.requestCancel(jobId: job.id) else { throw APIError.jobNotFound }
        context.logger.info("job stop asked", metadata: ["job": "\(job.id.lowercasedString)", "status": "\(asked.status.rawValue)"])
        return try Self.statusResponse(for: asked, status: asked.status.isTerminal ? .ok : .accepted)
    }
}
