import Assistant
import Testing

/// The follow-up block is held back from the stream, and only as long as it can be one.
@Suite struct SuggestionSplitterTests {
    static func feedAll(_ text: String, into splitter: inout SuggestionSplitter, pieceLength: Int = 7) -> String {
        var shown = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            shown += splitter.feed(String(rest.prefix(pieceLength)))
            rest = rest.dropFirst(pieceLength)
        }
        return shown
    }

    @Test func aFollowUpBlockIsHeldBackAndParsed() {
        var splitter = SuggestionSplitter()
        let shown = Self.feedAll("The answer.\n\nFOLLOW-UPS:\n- What next?\n- And then?", into: &splitter)
        let end = splitter.finish()
        #expect(shown + end.tail == "The answer.")
        #expect(end.suggestions == ["What next?", "And then?"])
    }

    /// A small model that writes the marker and then anything at all, at length: past the bound
    /// the text goes out as answer, whole and in order, instead of waiting for the model to stop.
    @Test func textPastTheBoundAfterAStrayMarkerIsAnswer() {
        var splitter = SuggestionSplitter(maximumBlockLength: 100)
        let rambling = String(repeating: "and so on, ", count: 40)
        let text = "Start. FOLLOW-UPS: " + rambling + "the end."
        var shown = ""
        var releasedBeforeTheEnd = false
        var rest = Substring(text)
        while !rest.isEmpty {
            let piece = splitter.feed(String(rest.prefix(7)))
            rest = rest.dropFirst(7)
            if piece.contains("FOLLOW-UPS:"), !rest.isEmpty { releasedBeforeTheEnd = true }
            shown += piece
        }
        let end = splitter.finish()
        #expect(releasedBeforeTheEnd, "released while the model still wrote")
        #expect(shown + end.tail == text)
        #expect(end.suggestions.isEmpty)
    }
}
