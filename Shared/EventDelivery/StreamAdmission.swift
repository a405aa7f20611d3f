import Synchronization

/// Bounds the streams one stream token holds open at once on this replica.
///
/// A browser needs a handful per token (a tab, its reconnects, a second tab); a client that opens
/// thousands with one token is holding descriptors, not reading answers.
public final class StreamAdmission: Sendable {
    /// Streams one token may hold at once.
    public let limit: Int
    private let open = Mutex<[String: Int]>([:])

    public init(limit: Int) {
        self.limit = limit
    }

    /// A permit for one more stream of `token`, or nil when it holds `limit` already. The stream
    /// keeps the permit while it is open; dropping it lets another in.
    public func admit(token: String) -> StreamPermit? {
        // The signature names the token (unique per issue) in a fraction of its length.
        let key = String(token.split(separator: ".").last ?? Substring(token))
        let admitted = open.withLock { open in
            let count = open[key, default: 0]
            guard count < limit else { return false }
            open[key] = count + 1
            return true
        }
        return admitted ? StreamPermit(admission: self, key: key) : nil
    }

    func release(_ key: String) {
        open.withLock { open in
            let count = open[key, default: 0] - 1
            open[key] = count > 0 ? count : nil
        }
    }
}
