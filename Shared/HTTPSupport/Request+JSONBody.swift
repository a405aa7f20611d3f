import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The largest JSON body accepted.
    public static let maximumJSONBodySize = 64 * 1024

    /// Decodes a JSON body, with the contract's errors: 415 when not JSON, 413 when over 64 KiB,
    /// 400 when malformed.
    public func decodeJSONBody<T: Decodable>(as type: T.Type, context: some RequestContext) async throws -> T {
        guard let contentType = headers[.contentType], let mediaType = MediaType(from: contentType), mediaType.isType(.applicationJson) else {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "Send the body as application/json.")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > Self.maximumJSONBodySize {
            throw APIError(.contentTooLarge, code: .bodyTooLarge, message: "The request body is larger than 64 KiB.")
        }
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maximumJSONBodySize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: .bodyTooLarge, message: "The request body is larger than 64 KiB.")
        } catch is NIOTooManyBytesError {
            // A chunked body carries no length to check up front: it is over the limit when it comes.
            throw APIError(.contentTooLarge, code: .bodyTooLarge, message: "The request body is larger than 64 KiB.")
        } catch let error as CancellationError {
            throw error
        } catch {
            // The client went away (or stalled past the read timeout) mid-body: its doing, not a
            // fault of ours, so no error-level log line an anonymous client could repeat at will.
            context.logger.debug("request body incomplete", metadata: ["error": "\(error)"])
            throw APIError.badRequest(.incompleteBody, "The request body ended before it was complete.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.badRequest(.missingField, "The field \"\(key.stringValue)\" is required.")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest(.invalidField, "The field \"\(field)\" has the wrong type.")
        } catch {
            throw APIError.badRequest(.malformedJSON, "The body is not valid JSON.")
        }
    }
}
