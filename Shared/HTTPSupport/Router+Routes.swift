import Hummingbird
import Logging

extension Router {
    /// Logs every route this router serves, and `others` served before it, as `METHOD /path` at
    /// debug level: what a binary answers, read off the binary itself (the API document's test
    /// compares the two).
    public func logRoutes(_ logger: Logger, others: [String] = []) {
        logger.debug("routes served", metadata: ["routes": "\(served(with: others).joined(separator: ", "))"])
    }

    /// Every route this router serves as `METHOD /path` (a parameter written `{name}`), with
    /// `others` served before it (the stream service's event streams), sorted.
    public func served(with others: [String] = []) -> [String] {
        (routes.map { "\($0.method.rawValue) \($0.path)" } + others).sorted()
    }
}
