import Hummingbird

/// Applies a ``CORSPolicy`` to every route: answers preflights, marks readable responses.
public struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    public init(_ policy: CORSPolicy) {
        self.policy = policy
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            var response = try await next(request, context)
            response.headers[.vary] = "Origin"
            return response
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            return policy.preflight(origin: origin)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        policy.allow(origin, on: &response.headers)
        return response
    }
}
