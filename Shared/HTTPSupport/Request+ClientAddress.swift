import Hummingbird

extension Request {
    /// The client's address, for per-client limits: the one the trusted proxy appended last to
    /// `X-Forwarded-For` when the deployment says a proxy is in front (`TRUST_FORWARDED_FOR`), the
    /// peer's otherwise (a client could write any header of its own).
    public func clientAddress(context: TutorlineRequestContext, trustingForwardedFor: Bool) -> String {
        guard trustingForwardedFor, let forwarded = headers[.xForwardedFor],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        else { return context.clientAddress }
        return last
    }

    /// Counts the request against `limiter` for its client; the contract's 429 past the limit.
    public func admit(by limiter: RateLimiter, context: TutorlineRequestContext, trustingForwardedFor: Bool) throws {
        if let retryAfter = limiter.admit(clientAddress(context: context, trustingForwardedFor: trustingForwardedFor)) {
            throw APIError(.tooManyRequests, code: .rateLimited, message: "Too many requests; try again in a moment.", retryAfter: retryAfter)
        }
    }
}
