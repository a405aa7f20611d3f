/// One event of the WHATWG event-stream format.
public struct ServerSentEvent: Sendable, Equatable {
    /// The event type (`event:` field); `nil` is the format's default, `message`.
    public var event: String?
    /// The payload; line breaks in it become separate `data:` lines on the wire.
    public var data: String
    /// The event id (`id:` field) a client echoes back as `Last-Event-ID`.
    public var id: String?
    /// The reconnection delay in milliseconds (`retry:` field).
    public var retry: Int?

    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }

    /// The event framed for the wire: LF line ends, one `data:` line per payload line, a blank line after.
    ///
    /// CR, LF and CRLF in the payload all split lines, as the parser on the other end will; CR, LF
    /// and NUL are removed from `event` and `id`, where they would end the field early or make the
    /// browser ignore the id. No payload can therefore start a second event.
    public var framed: String {
        var frame = ""
        frame.reserveCapacity(data.utf8.count + 32)
        if let event { frame += "event: \(Self.singleLine(event))\n" }
        if let id { frame += "id: \(Self.singleLine(id).filter { $0 != "\0" })\n" }
        if let retry { frame += "retry: \(retry)\n" }
        for line in Self.lines(of: data) {
            frame += "data: "
            frame += line
            frame += "\n"
        }
        frame += "\n"
        return frame
    }

    /// A comment frame (`: text`), which clients ignore; used as a heartbeat.
    public static func comment(_ text: String) -> String {
        Self.lines(of: text).map { ": \($0)\n" }.joined() + "\n"
    }

    /// The payload's lines, split on CRLF, CR or LF (the format's three line ends).
    static func lines(of text: String) -> [Substring] {
        var lines: [Substring] = []
        var start = text.startIndex
        var index = start
        // Walk unicode scalars: "\r\n" is one Character, so a Character walk would miss it.
        let scalars = text.unicodeScalars
        while index < text.endIndex {
            let scalar = scalars[index]
            if scalar == "\n" || scalar == "\r" {
                lines.append(text[start..<index])
                var next = scalars.index(after: index)
                if scalar == "\r", next < text.endIndex, scalars[next] == "\n" {
                    next = scalars.index(after: next)
                }
                start = next
                index = next
            } else {
                index = scalars.index(after: index)
            }
        }
        lines.append(text[start..<text.endIndex])
        return lines
    }

    static func singleLine(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })
    }
}
