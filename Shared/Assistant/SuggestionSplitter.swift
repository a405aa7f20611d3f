import Foundation

/// Separates the follow-up questions the model writes after ``Prompt/suggestionsMarker`` from the
/// answer while it streams: text that might be the start of the marker is held back until it is
/// clearly not, and trailing white space waits for what follows it.
public struct SuggestionSplitter: Sendable {
    let marker: String
    /// The longest a follow-up block may be (three questions of up to 200 characters, and some).
    /// Past it, what followed the marker was no such block: it goes out as answer, not held back
    /// until the model stops.
    let maximumBlockLength: Int
    private var pending = ""
    private var suggestionsText: String?

    public init(marker: String = Prompt.suggestionsMarker, maximumBlockLength: Int = 1000) {
        self.marker = marker
        self.maximumBlockLength = maximumBlockLength
    }

    /// Takes the next piece of model output; returns the part of the answer that can be shown now.
    public mutating func feed(_ piece: String) -> String {
        if var text = suggestionsText {
            text += piece
            guard text.count > maximumBlockLength else {
                suggestionsText = text
                return ""
            }
            // Not a follow-up block after all: the marker and all that came after it are answer.
            suggestionsText = nil
            defer { pending = "" }
            return pending + marker + text
        }
        let buffer = pending + piece
        if let range = buffer.range(of: marker) {
            suggestionsText = String(buffer[range.upperBound...])
            let before = String(buffer[..<range.lowerBound])
            let shown = Self.trimmingTrailingWhitespace(before)
            // Kept, for the answer should the block turn out to be none.
            pending = String(before.dropFirst(shown.count))
            return shown
        }
        // Hold back a tail that could still grow into the marker, and trailing white space.
        var holdFrom = buffer.endIndex
        var index = buffer.startIndex
        while index < buffer.endIndex {
            if marker.hasPrefix(buffer[index...]) {
                holdFrom = index
                break
            }
            index = buffer.index(after: index)
        }
        var emit = String(buffer[..<holdFrom])
        let trimmed = Self.trimmingTrailingWhitespace(emit)
        pending = String(emit.dropFirst(trimmed.count)) + buffer[holdFrom...]
        emit = trimmed
        return emit
    }

    /// Ends the stream: returns what was still held back of the answer, and the suggestions
    /// (none when the model wrote none or wrote them in another shape).
    public mutating func finish() -> (tail: String, suggestions: [String]) {
        guard let text = suggestionsText else {
            defer { pending = "" }
            return (Self.trimmingTrailingWhitespace(pending), [])
        }
        let suggestions = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            var item = line.trimmingCharacters(in: .whitespaces)
            if item.hasPrefix("- ") || item.hasPrefix("* ") {
                item = String(item.dropFirst(2))
            } else if let dot = item.firstIndex(of: "."), item[..<dot].allSatisfy(\.isNumber), !item[..<dot].isEmpty {
                item = String(item[item.index(after: dot)...])
            } else {
                return nil
            }
            item = item.trimmingCharacters(in: .whitespaces)
            return item.isEmpty || item.count > 200 ? nil : item
        }
        return ("", Array(suggestions.prefix(3)))
    }

    static func trimmingTrailingWhitespace(_ text: String) -> String {
        var text = text
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

