/// Reads an event stream back into events, as a browser's `EventSource` does (WHATWG rules):
/// CR, LF or CRLF line ends, a leading BOM ignored, comments skipped, `data:` lines joined with LF,
/// an event dispatched at each blank line, the last event id remembered across events.
public struct EventStreamParser: Sendable {
    private var pending: [UInt8] = []
    private var sawFirstBytes = false
    private var lastCharacterWasCR = false
    private var eventType = ""
    private var dataLines: [String] = []
    private var hasData = false
    /// The last id seen, kept across events like `EventSource.lastEventId`.
    public private(set) var lastEventId: String = ""
    /// The last `retry:` value seen.
    public private(set) var retry: Int?
    /// How many comment lines were seen (heartbeats).
    public private(set) var comments = 0

    public init() {}

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && lastCharacterWasCR {
                lastCharacterWasCR = false
                continue
            }
            lastCharacterWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = processLine() { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return events
    }

    private mutating func processLine() -> ServerSentEvent? {
        var line = pending[...]
        if !sawFirstBytes {
            sawFirstBytes = true
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        }
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") {
            comments += 1
            return nil
        }
        let field: String
        var value: String
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: line[..<colon], as: UTF8.self)
            var valueBytes = line[line.index(after: colon)...]
            if valueBytes.first == UInt8(ascii: " ") { valueBytes = valueBytes.dropFirst() }
            value = String(decoding: valueBytes, as: UTF8.self)
        } else {
            field = String(decoding: line, as: UTF8.self)
            value = ""
        }
        switch field {
        case "event": eventType = value
        case "data":
            dataLines.append(value)
            hasData = true
        case "id":
            if !value.unicodeScalars.contains("\0") { lastEventId = value }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) { retry = Int(value) }
        default: value = ""
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            dataLines.removeAll()
            hasData = false
        }
        guard hasData else { return nil }
        return ServerSentEvent(
            event: eventType.isEmpty ? nil : eventType,
            data: dataLines.joined(separator: "\n"),
            id: lastEventId.isEmpty ? nil : lastEventId
        )
    }
}
