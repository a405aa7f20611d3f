#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An event log that could not be read or written: a spool file, or the database carrying events.
public struct EventLogError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A spool file could not be read.
        case unreadable
        /// A spool file could not be written.
        case unwritable
        /// The database carrying the events did not answer, or refused the statement.
        case unavailable
    }

    public let code: Code
    /// The system error number behind a spool failure (`ENOSPC`, `EACCES`...); 0 otherwise.
    public let errno: Int32
    /// What the database said, for `unavailable`.
    public let reason: String?

    public init(_ code: Code, errno: Int32) {
        self.code = code
        self.errno = errno
        self.reason = nil
    }

    public init(_ code: Code, reason: String) {
        self.code = code
        self.errno = 0
        self.reason = reason
    }

    public var description: String {
        if let reason { return "event log \(code.rawValue): \(reason)" }
        return "spool file \(code.rawValue): \(String(cString: strerror(errno)))"
    }
}
