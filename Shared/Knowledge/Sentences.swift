import Foundation

/// Sentence splitting for prose, as the chunker and the offline engine need it.
public enum Sentences {
    /// Splits on `.`, `!` or `?` followed by white space, and on line breaks.
    public static func split(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previous: Character = " "
        for character in text {
            if character == "\n" {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { sentences.append(trimmed) }
                current = ""
            } else if character.isWhitespace, ".!?".contains(previous) {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { sentences.append(trimmed) }
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        let trimmed = current.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { sentences.append(trimmed) }
        return sentences
    }

    /// The lowercased words of a text, without very common ones, for overlap scoring.
    public static func keywords(_ text: String) -> Set<String> {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        return Set(words.filter { $0.count > 2 && !stopWords.contains($0) }.map(stem))
    }

    /// Whether a lowercased word is too common to search for.
    public static func isStopWord(_ word: String) -> Bool { stopWords.contains(word) }

    /// A crude suffix stripper so that "tokens" meets "token" and "streaming" meets "stream".
    static func stem(_ word: String) -> String {
        for suffix in ["ing", "ies", "es", "s", "ed"] where word.count > suffix.count + 3 && word.hasSuffix(suffix) {
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    static let stopWords: Set<String> = [
        "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "has", "have", "how", "what", "when",
        "where", "which", "who", "why", "with", "this", "that", "these", "those", "from", "into", "about", "does", "did",
        "was", "were", "will", "would", "should", "could", "there", "their", "them", "then", "than", "its", "our", "out",
        "use", "using", "used", "get", "way", "one", "also", "more", "most", "some", "such", "only", "other", "just",
        "like", "tell", "explain", "mean", "means", "between", "need", "make", "much", "many", "each", "very", "is", "it",
    ]
}
