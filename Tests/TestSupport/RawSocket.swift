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
    ///
    /// Async, and never blocks a thread: the test process's cooperative pool has as many threads
    /// as cores (two here), and a blocking wait in one test stalled every other test's clients.
    public func read(until marker: String, timeout: Duration = .seconds(10)) async -> String {
        var received = [UInt8]()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = await readSome(before: deadline), !chunk.isEmpty else { break }
            received += chunk
            if String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the peer closes the connection within `timeout` (whatever it sends first is read and dropped).
    public func isClosedByPeer(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let chunk = await readSome(before: deadline) else { return false }
            if chunk.isEmpty { return true }
        }
        return false
    }

    /// Bytes that came before `deadline`: nil when none came, empty when the peer closed. Polls
    /// without waiting and sleeps between polls.
    private func readSome(before deadline: ContinuousClock.Instant) async -> [UInt8]? {
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 0) > 0 { break }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count > 0 ? Array(buffer[0..<count]) : []
    }
}
