import Hummingbird

/// Which browser origins may call a service, for a list known only at start (`CORS_ORIGINS`).
///
/// Hummingbird's `CORSMiddleware` takes its origin list as variadic arguments, fixed at compile
/// time; this one takes the configured list and otherwise answers the same way. Used by
/// ``CORSPolicyMiddleware`` for routes and directly by responses written outside the router.
public struct CORSPolicy: Sendable {
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

    /// Whether a page from `origin` may read the answers.
    public func allows(_ origin: String) -> Bool {
        allowAll || allowedOrigins.contains(origin)
    }

    /// Adds the headers that let a page from `origin` read a response, when it may.
    public func allow(_ origin: String?, on headers: inout HTTPFields) {
        // Always: the answer differs by origin, so a cache must key it by origin, refused or not.
        headers[.vary] = "Origin"
        guard let origin, allows(origin) else { return }
        headers[.accessControlAllowOrigin] = origin
        // A page may read only the safelisted headers unless told: these tell it when to retry
        // and what an address takes.
        headers[.accessControlExposeHeaders] = "Retry-After, Allow"
    }

    /// The answer to a preflight from `origin`.
    public func preflight(origin: String) -> Response {
        guard allows(origin) else {
            let refusal = APIError.forbidden(.originNotAllowed, "This origin may not call this service.")
            var headers = refusal.headers
            headers[.vary] = "Origin"
            return Response(status: refusal.status, headers: headers, body: .init(byteBuffer: (try? refusal.body()) ?? ByteBuffer()))
        }
        return Response(status: .noContent, headers: [
            .accessControlAllowOrigin: origin,
            .accessControlAllowMethods: allowMethods,
            .accessControlAllowHeaders: allowHeaders,
            .accessControlMaxAge: "600",
            .vary: "Origin",
        ])
    }
}
