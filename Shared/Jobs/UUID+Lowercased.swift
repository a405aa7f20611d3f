import Foundation

extension UUID {
    /// The UUID as the API writes it (lowercase), for logs and URLs: one job id reads the same
    /// in a response, a log line and a spool file name.
    public var lowercasedString: String { uuidString.lowercased() }
}
