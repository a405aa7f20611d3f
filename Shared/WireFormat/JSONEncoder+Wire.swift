import Foundation

extension JSONEncoder {
    /// The encoder for everything Tutorline writes as JSON (events, API bodies, log lines): keys
    /// sorted so the same value always reads the same, slashes left as they are so URLs stay legible.
    public static func wire() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
