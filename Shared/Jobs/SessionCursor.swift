import Foundation

/// A position in a list of conversations (newest activity first): the next page starts after the
/// conversation it names. Opaque to clients; a keyset, so pages hold steady while new questions come.
public struct SessionCursor: Sendable, Equatable {
    public var lastActivity: Date
    public var id: UUID

    public init(lastActivity: Date, id: UUID) {
        self.lastActivity = lastActivity
        self.id = id
    }

    /// Milliseconds since 1970, as both stores compare it: the client's copy must compare equal
    /// to the stored value.
    public var lastActivityMilliseconds: Int64 { lastActivity.epochMilliseconds }

    /// The form clients carry: `<milliseconds>.<uuid>`, base64url.
    public var encoded: String {
        let raw = "\(lastActivityMilliseconds).\(id.uuidString.lowercased())"
        return Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Reads a client's cursor back; `nil` when it is not one of ours.
    public init?(encoded: String) {
        guard encoded.utf8.count <= 128 else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), milliseconds >= 0, let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.init(lastActivity: Date(epochMilliseconds: milliseconds), id: id)
    }
}
