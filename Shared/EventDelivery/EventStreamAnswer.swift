import HTTPTypes
import NIOCore

/// How a stream request is answered.
public enum EventStreamAnswer: Sendable {
    /// A response head, then the session's events until it ends.
    case stream(HTTPResponse, JobEventSession)
    /// A complete response: an error, or 204 for a stream that has already ended.
    case response(HTTPResponse, ByteBuffer)
}
