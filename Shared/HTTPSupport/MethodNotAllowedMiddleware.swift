import Hummingbird

/// Answers 405 with `Allow` where the router says 404 for an address that exists with other
/// methods (the router itself does not tell the two apart).
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let table: RouteTable

    /// - Parameter table: the routes, filled once they are registered.
    public init(_ table: RouteTable) {
        self.table = table
    }

    /// Passes the request on; turns the router's 404 into a 405 where the path has other methods.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            throw APIError(.methodNotAllowed, code: .methodNotAllowed, message: "This address takes \(allowed.joined(separator: ", ")) only.", allow: allowed)
        }
    }
}
