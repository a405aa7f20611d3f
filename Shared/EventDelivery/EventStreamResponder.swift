import HTTPTypes
import NIOCore

/// What ``EventStreamChannelHandler`` asks of a service: which requests are event streams, and
/// how to open one. The stream service's routes implement it.
public protocol EventStreamResponder: Sendable {
    /// Whether the handler answers `request` itself; every other request goes on to the router.
    func serves(_ request: HTTPRequest) -> Bool

    /// The answer to a request it serves. Runs in a task of its own (it may ask the store).
    func open(_ request: HTTPRequest) async -> EventStreamAnswer
}

/// How a stream request is answered.
public enum EventStreamAnswer: Sendable {
    /// A response head, then the session's events until it ends.
    case stream(HTTPResponse, JobEventSession)
    /// A complete response: an error, or 204 for a stream that has already ended.
    case response(HTTPResponse, ByteBuffer)
}
