import Foundation
import Hummingbird
import WireFormat

/// An error answer of the API: a status and the contract's JSON body,
/// `{"error": {"code": "<snake_case>", "message": "<for a person>"}}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// A stable snake_case code clients branch on.
    public var code: APIErrorCode
    /// A message for a person.
    public var message: String
    /// Seconds to wait before retrying (`Retry-After`), for 429 and 503.
    public var retryAfter: Int?
    /// The methods the address takes (`Allow`), for 405.
    public var allow: [String]?

    public init(_ status: HTTPResponse.Status, code: APIErrorCode, message: String, retryAfter: Int? = nil, allow: [String]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.allow = allow
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: try body()))
    }

    /// The headers of the error answer (its body is JSON; `Retry-After` and `Allow` when set).
    public var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
        return headers
    }

    /// The contract's JSON body.
    public func body() throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder.wire().encode(Body(error: .init(code: code.rawValue, message: message))))
    }
}

extension APIError {
    public static func badRequest(_ code: APIErrorCode, _ message: String) -> APIError { .init(.badRequest, code: code, message: message) }
    public static func unauthorized(_ code: APIErrorCode, _ message: String) -> APIError { .init(.unauthorized, code: code, message: message) }
    public static func forbidden(_ code: APIErrorCode, _ message: String) -> APIError { .init(.forbidden, code: code, message: message) }
    public static func notFound(_ code: APIErrorCode, _ message: String) -> APIError { .init(.notFound, code: code, message: message) }
    public static let storeUnavailable = APIError(
        .serviceUnavailable, code: .storeUnavailable, message: "The service is briefly unavailable; try again shortly.", retryAfter: 5
    )
    public static let invalidJobId = APIError.badRequest(.invalidJobId, "The job id must be a UUID.")
    public static let jobNotFound = APIError.notFound(.jobNotFound, "There is no such job.")
}
