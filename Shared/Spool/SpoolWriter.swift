#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SSE

/// Appends one job's events to its spool file, numbering them.
///
/// Each event goes out in a single `write(2)` of whole frames to a file opened with `O_APPEND`,
/// so a reader sees a frame whole or not at all (it stops at the last `\n\n`). A failed write is
/// cut back off the file, so a half frame never precedes the next one.
public final class SpoolWriter {
    /// The job this writer appends to.
    public let job: UUID
    /// The frames the file held when it was opened: an earlier attempt's events.
    public let existingFrames: [SpoolFrame]
    /// The id of the last event in the file.
    public private(set) var lastEventId: Int
    private let fd: Int32
    private var size: Int

    /// Opens (creating when missing) the job's file for appending.
    public init(spool: Spool, job: UUID) throws(SpoolError) {
        self.job = job
        let path = spool.path(for: job)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError(.unwritable, errno: errno) }
        self.fd = fd
        let existing: SpoolRead?
        do {
            existing = try spool.read(job: job, from: 0)
        } catch {
            close(fd)
            throw error
        }
        existingFrames = existing?.frames ?? []
        size = existing?.next ?? 0
        lastEventId = existingFrames.compactMap(\.id).max() ?? 0
        // A torn frame left by a crashed writer is cut off, so numbering and framing continue cleanly.
        var info = stat()
        if fstat(fd, &info) == 0, Int(info.st_size) > size { _ = ftruncate(fd, off_t(size)) }
    }

    deinit { close(fd) }

    /// Appends one event with the next id; returns that id.
    @discardableResult
    public func append(event: String, data: String) throws(SpoolError) -> Int {
        let id = lastEventId + 1
        try appendFrame(ServerSentEvent(event: event, data: data, id: String(id)).framed)
        lastEventId = id
        return id
    }

    private func appendFrame(_ frame: String) throws(SpoolError) {
        var bytes = Array(frame.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let failure = errno
                _ = ftruncate(fd, off_t(size))
                throw SpoolError(.unwritable, errno: failure)
            }
            written += result
        }
        size += bytes.count
        bytes.removeAll()
    }
}
