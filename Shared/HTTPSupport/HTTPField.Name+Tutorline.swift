import HTTPTypes

extension HTTPField.Name {
    /// `Last-Event-ID`, sent by reconnecting `EventSource` clients.
    public static let lastEventID = literal("Last-Event-ID")
    /// `Idempotency-Key`, which makes a retried POST return the same job.
    public static let idempotencyKey = literal("Idempotency-Key")
    /// `X-Forwarded-For`, where a proxy appends the client's address.
    public static let xForwardedFor = literal("X-Forwarded-For")
    /// `X-Accel-Buffering: no` keeps proxies such as nginx from buffering an event stream.
    public static let xAccelBuffering = literal("X-Accel-Buffering")

    /// A header name spelled in the source; these literals are valid tokens, so this cannot fail at run time.
    static func literal(_ name: String) -> HTTPField.Name {
        guard let field = HTTPField.Name(name) else { preconditionFailure("invalid header name literal \(name)") }
        return field
    }
}
