import EventDelivery
import EventLog
import Foundation
import HTTPSupport
import Hummingbird
import HummingbirdCore
import Jobs
import Logging
import StreamTokens

/// The Server-Sent Events routes of both assistants, `GET <prefix>/stream/<jobId>`.
///
/// Answered on the connection's event loop by `EventStreamChannelHandler` rather than through
/// the router: a waiting browser then costs no task (see the handler). This type decides what
/// the answer is; errors carry the contract's JSON body, and CORS applies as on every route.
struct StreamRoutes: EventStreamResponder {
    let verifier: StreamTokenVerifier
    let source: JobStreamSource
    let admission: StreamAdmission
    let cors: CORSPolicy
    let serverName: String
    let logger: Logger

    func serves(_ request: HTTPRequest) -> Bool {
        request.method == .get && Self.route(URI(request.path ?? "").path) != nil
    }

    func open(_ request: HTTPRequest) async -> EventStreamAnswer {
        let origin = request.headerFields[.origin]
        // What the router's middleware and Hummingbird's responder add to every other answer.
        func finished(_ head: HTTPResponse) -> HTTPResponse {
            var head = head
            cors.allow(origin, on: &head.headerFields)
            head.headerFields[.server] = serverName
            return head
        }
        do {
            switch try await answer(request) {
            case .stream(let head, let session): return .stream(finished(head), session)
            case .response(let head, let body): return .response(finished(head), body)
            }
        } catch {
            let error = APIError.translating(error, logger: logger)
            return .response(finished(HTTPResponse(status: error.status, headerFields: error.headers)), (try? error.body()) ?? ByteBuffer())
        }
    }

    private func answer(_ request: HTTPRequest) async throws -> EventStreamAnswer {
        let uri = URI(request.path ?? "")
        guard let (kind, raw) = Self.route(uri.path), let job = UUID(uuidString: String(raw)) else {
            throw APIError.invalidJobId
        }
        let token = try await authorize(request, uri: uri, job: job, kind: kind)
        let lastEventId = try Self.lastEventId(request, uri: uri)
        guard let permit = admission.admit(token: token) else {
            throw APIError(
                .tooManyRequests, code: .tooManyStreams,
                message: "This stream is already open \(admission.limit) times; close one first.", retryAfter: 5
            )
        }
        let opening: JobStreamSource.Opening
        do {
            opening = try await source.open(job: job, lastEventId: lastEventId)
        } catch let error as EventLogError where error.code == .unavailable {
            // This replica cannot read the log now; a proxy tries another (proxy_next_upstream).
            logger.warning("event log unavailable", metadata: ["error": "\(error)"])
            throw APIError.storeUnavailable
        }
        switch opening {
        case .notFound:
            throw APIError.jobNotFound
        case .ended:
            return .response(HTTPResponse(status: .noContent, headerFields: [.cacheControl: "no-cache"]), ByteBuffer())
        case .stream(var session):
            session.permit = permit
            logger.info("stream opened", metadata: ["job": "\(job.lowercasedString)", "assistant": "\(kind.rawValue)", "lastEventId": "\(lastEventId ?? 0)"])
            let headers: HTTPFields = [
                .contentType: "text/event-stream",
                .cacheControl: "no-cache",
                .xAccelBuffering: "no",
            ]
            return .stream(HTTPResponse(status: .ok, headerFields: headers), session)
        }
    }

    /// The streams' paths, written as the router describes its own (`{jobId}` a parameter).
    static var paths: [String] { AssistantKind.allCases.map { $0.routePrefix + "/stream/{jobId}" } }

    /// The assistant and the job id segment of a stream path, or nil for any other path.
    static func route(_ path: String) -> (AssistantKind, Substring)? {
        // As the router matched it: a trailing slash is the same address.
        let path = path.hasSuffix("/") ? path.dropLast() : Substring(path)
        for kind in AssistantKind.allCases {
            let prefix = kind.routePrefix + "/stream/"
            guard path.hasPrefix(prefix) else { continue }
            let id = path.dropFirst(prefix.count)
            return id.isEmpty || id.contains("/") ? nil : (kind, id)
        }
        return nil
    }

    /// Verifies the stream token (query parameter or bearer header) and returns it.
    private func authorize(_ request: HTTPRequest, uri: URI, job: UUID, kind: AssistantKind) async throws -> String {
        let token = APIError.streamToken(query: uri.queryParameters.get("token"), authorization: request.headerFields[.authorization])
        do {
            _ = try await verifier.verify(token, job: job, audience: kind.rawValue)
            return token ?? ""
        } catch {
            throw APIError(error)
        }
    }

    /// `Last-Event-ID` from the header, or the `lastEventId` parameter (for clients that cannot set headers).
    static func lastEventId(_ request: HTTPRequest, uri: URI) throws -> Int? {
        let raw = request.headerFields[.lastEventID] ?? uri.queryParameters.get("lastEventId")
        guard let raw, !raw.isEmpty else { return nil }
        guard raw.utf8.count <= 18, raw.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let id = Int(raw) else {
            throw APIError.badRequest(.invalidLastEventId, "Last-Event-ID must be an event id this stream sent.")
        }
        return id
    }
}
