#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A spool file that could not be read or written.
public struct SpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unreadable
        case unwritable
    }

    public let code: Code
    /// The system error number behind it (`ENOSPC`, `EACCES`...).
    public let errno: Int32

    public init(_ code: Code, errno: Int32) {
        self.code = code
        self.errno = errno
    }

    public var description: String {
        "spool file \(code.rawValue): \(String(cString: strerror(errno)))"
    }
}
