import EventDelivery
import Foundation
import HTTPSupport
import Hummingbird
import Jobs
import Logging
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
        // Token check and opening run in a task of their own: its deep stack (signature check, spool
        // read, store lookup) is freed when it ends, where this connection's task would keep its
        // deepest stack for as long as the browser waits (Swift's task allocator keeps its slabs).
        // Not `async let`: that child is allocated on this task's stack and would stay with it.
        let open = Task { try await authorizeAndOpen(request, job: job, kind: kind) }
        let (opening, lastEventId) = try await withTaskCancellationHandler {
            try await open.value
        } onCancel: {
            open.cancel()
        }
        // StreamApplication puts one on every connection; without it a gone client is noticed at
        // its next heartbeat, when the write fails.
        let closeWatch = try? await context.channel.pipeline.handler(type: ClientCloseHandler.self).get()
        return try Self.response(to: opening, closeWatch: closeWatch, job: job, kind: kind, lastEventId: lastEventId, logger: context.logger)
    }

    /// The response for an opened stream; out of line to keep the connection's frame small.
    @inline(never)
    private static func response(
        to opening: JobStreamSource.Opening, closeWatch: ClientCloseHandler?, job: UUID, kind: AssistantKind, lastEventId: Int?, logger: Logger
    ) throws -> Response {
        switch opening {
        case .notFound:
            throw APIError.jobNotFound
        case .ended:
            return Response(status: .noContent, headers: [.cacheControl: "no-cache"])
        case .stream(let session):
            logger.info("stream opened", metadata: ["job": "\(job)", "assistant": "\(kind.rawValue)", "lastEventId": "\(lastEventId ?? 0)"])
            let headers: HTTPFields = [
                .contentType: "text/event-stream",
                .cacheControl: "no-cache",
                .xAccelBuffering: "no",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                // The client going away ends the session at once, releasing its subscription. A
                // channel handler's callback rather than `consumeWithCancellationOnInboundClose`:
                // that costs each waiting connection a task group and a reading task (~5 KB).
                closeWatch?.onClose { session.clientClosed() }
                defer { closeWatch?.clear() }
                try await session.run { buffer in try await writer.write(buffer) }
                try await writer.finish(nil)
            })
        }
    }

    private func authorizeAndOpen(_ request: Request, job: UUID, kind: AssistantKind) async throws -> (JobStreamSource.Opening, Int?) {
        try await authorize(request, job: job, kind: kind)
        let lastEventId = try Self.lastEventId(request)
        return (try await source.open(job: job, lastEventId: lastEventId), lastEventId)
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
