import SSE

/// A complete event frame as an event log stores it: the bytes exactly as they go on the wire,
/// with the event id and type read from its first lines.
public struct EventFrame: Sendable, Equatable {
    /// The frame's bytes, ending in the blank line.
    public var bytes: ArraySlice<UInt8>
    /// The `id:` field, when the frame has one.
    public var id: Int?
    /// The `event:` field, when the frame has one.
    public var event: String?

    /// Splits `bytes` into complete frames (each ending in `\n\n`); the bytes after the last complete
    /// frame, a write still under way, are left for the next read. Returns the frames and the number
    /// of bytes they span.
    public static func split(_ bytes: ArraySlice<UInt8>) -> (frames: [EventFrame], consumed: Int) {
        var frames: [EventFrame] = []
        var frameStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\n"), index > frameStart, bytes[index - 1] == UInt8(ascii: "\n") {
                let end = index + 1
                frames.append(EventFrame(complete: bytes[frameStart..<end]))
                frameStart = end
            }
            index += 1
        }
        return (frames, frameStart - bytes.startIndex)
    }

    /// A frame from its complete bytes (ending in the blank line).
    public init(complete bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        var id: Int?
        var event: String?
        // Our own frames put `event:` and `id:` first; stop at the first data line.
        var lineStart = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            let line = bytes[lineStart..<index]
            lineStart = index + 1
            if line.starts(with: Self.eventPrefix) {
                event = String(decoding: line.dropFirst(Self.eventPrefix.count), as: UTF8.self)
            } else if line.starts(with: Self.idPrefix) {
                id = Int(String(decoding: line.dropFirst(Self.idPrefix.count), as: UTF8.self))
            } else {
                break
            }
        }
        self.id = id
        self.event = event
    }

    private static let eventPrefix = Array("event: ".utf8)
    private static let idPrefix = Array("id: ".utf8)

    /// The frame's `data:` payload joined as the browser would see it.
    public var data: String {
        var parser = EventStreamParser()
        return parser.feed(bytes).first?.data ?? ""
    }

    /// Whether the stream ends with this frame (`completed` or `failed`).
    public var isTerminal: Bool { event == "completed" || event == "failed" }
}
