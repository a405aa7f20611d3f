import EventDelivery
import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import StreamTokens

/// The Server-Sent Events routes of both assistants.
struct StreamRoutes: Sendable {
    let verifier: StreamTokenVerifier
    let source: JobStreamSource

    func register(on router: Router<TutorlineRequestContext>) {
        for kind in AssistantKind.allCases {
            router.get("\(kind.routePrefix)/stream/:jobId") { request, context in
                try await stream(request, context: context, kind: kind)
            }
        }
    }

    private func stream(_ request: Request, context: TutorlineRequestContext, kind: AssistantKind) async throws -> Response {
        guard let raw = context.parameters.get("jobId"), let job = UUID(uuidString: raw) else {
            throw APIError.invalidJobId
        }
        try await authorize(request, job: job, kind: kind)
        let lastEventId = try Self.lastEventId(request)
        switch try await source.open(job: job, lastEventId: lastEventId) {
        case .notFound:
            throw APIError.jobNotFound
        case .ended:
            return Response(status: .noContent, headers: [.cacheControl: "no-cache"])
        case .stream(let session):
            context.logger.info("stream opened", metadata: ["job": "\(job)", "assistant": "\(kind.rawValue)", "lastEventId": "\(lastEventId ?? 0)"])
            let headers: HTTPFields = [
                .contentType: "text/event-stream",
                .cacheControl: "no-cache",
                .xAccelBuffering: "no",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                // The client going away ends the session at once, releasing its subscription; a
                // callback rather than a cancelled task group keeps each waiting connection small.
                try await request.body.consumeWithInboundCloseHandler { _ in
                    try await session.run { buffer in try await writer.write(buffer) }
                } onInboundClosed: {
                    session.clientClosed()
                }
                try await writer.finish(nil)
            })
        }
    }

    private func authorize(_ request: Request, job: UUID, kind: AssistantKind) async throws {
        var token = request.uri.queryParameters.get("token")
        if token == nil, let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            token = String(header.dropFirst(7))
        }
        do {
            _ = try await verifier.verify(token, job: job, audience: kind.rawValue)
        } catch {
            switch error.code {
            case .missing: throw APIError.unauthorized("missing_token", "The stream URL needs its token parameter.")
            case .invalid: throw APIError.unauthorized("invalid_token", "The stream token is not valid.")
            case .expired: throw APIError.unauthorized("expired_token", "The stream token has expired; ask again for a new one.")
            case .wrongJob: throw APIError.forbidden("token_for_other_job", "The stream token is for another job.")
            case .wrongAudience: throw APIError.forbidden("token_for_other_assistant", "The stream token is for the other assistant.")
            }
        }
    }

    /// `Last-Event-ID` from the header, or the `lastEventId` parameter (for clients that cannot set headers).
    static func lastEventId(_ request: Request) throws -> Int? {
        let raw = request.headers[.lastEventID] ?? request.uri.queryParameters.get("lastEventId")
        guard let raw, !raw.isEmpty else { return nil }
        guard raw.utf8.count <= 18, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let id = Int(raw) else {
            throw APIError.badRequest("invalid_last_event_id", "Last-Event-ID must be an event id this stream sent.")
        }
        return id
    }
}
