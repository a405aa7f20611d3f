#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A bare TCP connection to a local port, for clients no library models: one that says nothing,
/// trickles a request, or never reads what it asked for.
public final class RawSocket: @unchecked Sendable {
    // @unchecked: the descriptor is used by one test task at a time; nothing here is shared.
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`. `receiveBuffer` shrinks the socket's receive buffer first, so
    /// a client that never reads fills it with little.
    public init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
    }

    deinit { close(fd) }

    /// Writes `text` (all of it).
    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }

    /// Reads until `marker` has come, the peer closed, or `timeout`; returns what came.
    public func read(until marker: String, timeout: Duration = .seconds(10)) -> String {
        var received = [UInt8]()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = readSome(waiting: deadline - ContinuousClock.now), !chunk.isEmpty else { break }
            received += chunk
            if String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the peer closes the connection within `timeout` (whatever it sends first is read and dropped).
    public func isClosedByPeer(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = readSome(waiting: deadline - ContinuousClock.now) else { return false }
            if chunk.isEmpty { return true }
        }
        return false
    }

    /// Bytes that came within `waiting`: nil when none came, empty when the peer closed.
    private func readSome(waiting: Duration) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, waiting.components.seconds * 1000 + waiting.components.attoseconds / 1_000_000_000_000_000))
        guard poll(&poller, 1, milliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : []
    }
}
