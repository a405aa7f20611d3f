import Hummingbird

/// CORS for a list of origins known only at start (`CORS_ORIGINS`).
///
/// Hummingbird's `CORSMiddleware` takes its origin list as variadic arguments, fixed at compile
/// time; this one takes the configured list and otherwise answers the same way.
public struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    let allowAll: Bool
    let allowHeaders: String
    let allowMethods: String

    /// - Parameter origins: allowed origins; `*` allows any.
    public init(origins: [String], allowHeaders: [String], allowMethods: [String]) {
        self.allowedOrigins = Set(origins)
        self.allowAll = origins.contains("*")
        self.allowHeaders = allowHeaders.joined(separator: ", ")
        self.allowMethods = allowMethods.joined(separator: ", ")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The header work is out of line: a waiting stream keeps this frame for as long as it is open.
        guard let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        if let preflight = preflight(request, origin: origin) { return preflight }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        allow(origin, on: &response)
        return response
    }

    /// The answer to a preflight request, or nil for any other request.
    @inline(never)
    func preflight(_ request: Request, origin: String) -> Response? {
        guard request.method == .options, request.headers[.accessControlRequestMethod] != nil else { return nil }
        guard allowAll || allowedOrigins.contains(origin) else { return Response(status: .forbidden) }
        return Response(status: .noContent, headers: [
            .accessControlAllowOrigin: origin,
            .accessControlAllowMethods: allowMethods,
            .accessControlAllowHeaders: allowHeaders,
            .accessControlMaxAge: "600",
            .vary: "Origin",
        ])
    }

    @inline(never)
    func allow(_ origin: String, on response: inout Response) {
        guard allowAll || allowedOrigins.contains(origin) else { return }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
    }
}
