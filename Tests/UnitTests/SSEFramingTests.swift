import SSE
import Testing

@Suite struct SSEFramingTests {
    @Test func framesASingleLineEvent() {
        let frame = ServerSentEvent(event: "delta", data: #"{"text":"hi"}"#, id: "7").framed
        #expect(frame == "event: delta\nid: 7\ndata: {\"text\":\"hi\"}\n\n")
    }

    @Test(arguments: [
        ("a\nb", ["a", "b"]),
        ("a\rb", ["a", "b"]),
        ("a\r\nb", ["a", "b"]),
        ("a\n\nb", ["a", "", "b"]),
        ("trailing\n", ["trailing", ""]),
        ("", [""]),
    ])
    func splitsEveryKindOfLineBreakIntoDataLines(payload: String, lines: [String]) {
        let frame = ServerSentEvent(data: payload).framed
        let expected = lines.map { "data: \($0)\n" }.joined() + "\n"
        #expect(frame == expected)
        #expect(!frame.contains("\r"))
    }

    @Test func keepsUnicodeAndWritesNoBOM() {
        let frame = ServerSentEvent(event: "delta", data: "café 数据 🚀 e\u{301}").framed
        #expect(Array(frame.utf8).prefix(3) != [0xEF, 0xBB, 0xBF])
        var parser = EventStreamParser()
        #expect(parser.feed(Array(frame.utf8)).first?.data == "café 数据 🚀 e\u{301}")
    }

    @Test func stripsLineBreaksAndNULFromEventAndId() {
        let frame = ServerSentEvent(event: "del\nta", data: "x", id: "1\r\n2\0").framed
        #expect(frame == "event: delta\nid: 12\ndata: x\n\n")
    }

    @Test func aPayloadCannotForgeASecondEvent() {
        let hostile = "answer\n\nevent: completed\ndata: {\"forged\":true}\n\nid: 999"
        let frame = ServerSentEvent(event: "delta", data: hostile, id: "3").framed
        var parser = EventStreamParser()
        let events = parser.feed(Array(frame.utf8))
        #expect(events.count == 1)
        #expect(events.first?.event == "delta")
        #expect(events.first?.id == "3")
        #expect(events.first?.data == hostile)
    }

    @Test func roundTripsGeneratedPayloads() {
        // A loop over generated inputs: line breaks of every kind, colons, field names, unicode.
        let alphabet: [String] = ["a", "Z", " ", ":", "\n", "\r", "\r\n", "data:", "event:", "id:", "é", "🚀", "\u{0}", "{", "\""]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0...24, using: &generator)
            let payload = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "" }.joined()
            let frame = ServerSentEvent(event: "delta", data: payload, id: "5").framed
            var parser = EventStreamParser()
            let events = parser.feed(Array(frame.utf8))
            #expect(events.count == 1, "payload \(payload.debugDescription)")
            let normalized = payload.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            #expect(events.first?.data == normalized, "payload \(payload.debugDescription)")
            #expect(events.first?.event == "delta")
        }
    }

    @Test func commentsAreFramedLineByLine() {
        #expect(ServerSentEvent.comment("heartbeat") == ": heartbeat\n\n")
        #expect(ServerSentEvent.comment("a\nb") == ": a\n: b\n\n")
    }
}

@Suite struct EventStreamParserTests {
    @Test func readsCRLFStreamsWithBOMCommentsAndRetry() {
        var parser = EventStreamParser()
        let stream = "\u{FEFF}retry: 1500\r\n: heartbeat\r\n\r\nevent: status\r\ndata: a\r\ndata: b\r\nid: 4\r\n\r\n"
        let events = parser.feed(Array(stream.utf8))
        #expect(events == [ServerSentEvent(event: "status", data: "a\nb", id: "4")])
        #expect(parser.retry == 1500)
        #expect(parser.comments == 1)
    }

    @Test func keepsStateAcrossChunkBoundaries() {
        var parser = EventStreamParser()
        let stream = Array("event: delta\nid: 1\ndata: hello\n\nevent: delta\nid: 2\ndata: world\n\n".utf8)
        var events: [ServerSentEvent] = []
        for byte in stream { events += parser.feed([byte]) }
        #expect(events.map(\.data) == ["hello", "world"])
        #expect(parser.lastEventId == "2")
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        var parser = EventStreamParser()
        #expect(parser.feed(Array("event: nothing\n\n".utf8)).isEmpty)
    }
}
