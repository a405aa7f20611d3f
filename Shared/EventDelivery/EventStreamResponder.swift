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
