import Hummingbird
import Logging

extension Router {
    /// Logs every route this router serves, and `others` served before it (the stream service's
    /// event streams), as `METHOD /path` at debug level: what a binary answers, read off the binary
    /// itself (the API document's test compares the two).
    public func logRoutes(_ logger: Logger, others: [String] = []) {
        let served = routes.map { "\($0.method.rawValue) \($0.path)" } + others
        logger.debug("routes served", metadata: ["routes": "\(served.sorted().joined(separator: ", "))"])
    }
}
