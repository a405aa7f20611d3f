import Foundation

/// Why a chat completion failed, and whether trying again may help.
public struct LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// 429: slow down and retry.
        case rateLimited = "llm_rate_limited"
        /// 5xx, connection refused or lost: retry.
        case unavailable = "llm_unavailable"
        /// No bytes for longer than the idle timeout, or past the overall deadline: retry.
        case timedOut = "llm_timeout"
        /// The response stream ended before the answer did: retry.
        case streamCut = "llm_stream_cut"
        /// 401/403: the API key is wrong; retrying cannot help.
        case unauthorized = "llm_unauthorized"
        /// Another 4xx: the request was refused; retrying cannot help.
        case rejected = "llm_rejected"
        /// The response was not the expected shape.
        case malformedResponse = "llm_malformed_response"
    }

    public let code: Code
    /// A message for a person.
    public let message: String
    /// The HTTP status, when there was one.
    public let status: Int?
    /// What the provider said (its error body), for logs only: it may name keys or accounts.
    public let detail: String?
    /// How long the provider asked us to wait (`Retry-After` on a 429 or 503).
    public let retryAfter: Duration?

    public init(_ code: Code, _ message: String, status: Int? = nil, detail: String? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// Whether a later attempt may succeed.
    public var isTransient: Bool {
        switch code {
        case .rateLimited, .unavailable, .timedOut, .streamCut: true
        case .unauthorized, .rejected, .malformedResponse: false
        }
    }

    /// Classifies an HTTP status that is not a success; `retryAfter` is its `Retry-After` header.
    public static func forStatus(_ status: Int, body: String, retryAfter: String? = nil) -> LLMError {
        let detail = body.isEmpty ? nil : String(body.prefix(300))
        let wait = retryAfter.flatMap(Self.parseRetryAfter)
        switch status {
        case 429: return LLMError(.rateLimited, "The language model is rate limiting requests (HTTP 429).", status: status, detail: detail, retryAfter: wait)
        case 503: return LLMError(.unavailable, "The language model is busy (HTTP 503).", status: status, detail: detail, retryAfter: wait)
        case 401, 403: return LLMError(.unauthorized, "The language model refused our credentials (HTTP \(status)).", status: status, detail: detail)
        case 408: return LLMError(.timedOut, "The language model timed out (HTTP 408).", status: status, detail: detail)
        case 500...: return LLMError(.unavailable, "The language model is unavailable (HTTP \(status)).", status: status, detail: detail)
        default: return LLMError(.rejected, "The language model rejected the request (HTTP \(status)).", status: status, detail: detail)
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `Retry-After` as seconds, or as an HTTP date (RFC 9110); nil when neither.
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSinceNow * 1000)))
    }
}
