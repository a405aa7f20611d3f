import Hummingbird
import Jobs
import Logging

/// Turns every error into the contract's JSON error body: known API errors as they are, the
/// framework's HTTP errors by status, an unreachable store as 503, anything else as a logged 500.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.translating(error, logger: context.logger)
        }
    }
}

extension APIError {
    /// The answer for any error: an API error as it is, the framework's HTTP errors by status, an
    /// unreachable store as 503, anything else as a logged 500.
    public static func translating(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as JobStoreError where error.code == .unavailable:
            logger.warning("store unavailable", metadata: ["error": "\(error)"])
            return APIError.storeUnavailable
        case let error as HTTPError:
            return translating(error)
        case is CancellationError:
            return APIError(.serviceUnavailable, code: .shuttingDown, message: "The service is shutting down; try again.", retryAfter: 1)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return APIError(.internalServerError, code: .internalError, message: "Something went wrong on our side.")
        }
    }

    static func translating(_ error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: .notFound(.notFound, "There is nothing at this address.")
        case .methodNotAllowed: .init(.methodNotAllowed, code: .methodNotAllowed, message: "This address does not take that method.")
        case .contentTooLarge: .init(.contentTooLarge, code: .bodyTooLarge, message: "The request body is larger than 64 KiB.")
        case .badRequest: .badRequest(.badRequest, error.body ?? "The request is malformed.")
        // Any other status the framework answers keeps its status, under a code of the list.
        default: .init(error.status, code: error.status.code < 500 ? .badRequest : .internalError, message: error.body ?? error.status.reasonPhrase)
        }
    }
}
