#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventLog
import Foundation
import SSE
import Synchronization

/// Appends one job's events to its spool file, numbering them.
///
/// Each event goes out in a single `write(2)` of whole frames to a file opened with `O_APPEND`,
/// so a reader sees a frame whole or not at all (it stops at the last `\n\n`). A failed write is
/// cut back off the file, so a half frame never precedes the next one. Appends are written at
/// once: ``flush()`` has nothing to wait for.
public final class SpoolWriter: EventLogWriter {
    private struct State {
        var lastEventId: Int
        var size: Int
    }

    public let job: UUID
    public let existingFrames: [EventFrame]
    private let fd: Int32
    /// Uncontended (the job's one writer appends in order); it makes the writer shareable with
    /// the timer that sends a held piece.
    private let state: Mutex<State>

    /// Opens (creating when missing) the job's file for appending.
    public init(spool: Spool, job: UUID) throws(EventLogError) {
        self.job = job
        let path = spool.path(for: job)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EventLogError(.unwritable, errno: errno) }
        self.fd = fd
        let existing: EventLogRead?
        do {
            existing = try spool.read(job: job, from: 0)
        } catch {
            close(fd)
            throw error
        }
        existingFrames = existing?.frames ?? []
        let size = existing?.next ?? 0
        state = Mutex(State(lastEventId: existingFrames.compactMap(\.id).max() ?? 0, size: size))
        // A torn frame left by a crashed writer is cut off, so numbering and framing continue cleanly.
        var info = stat()
        if fstat(fd, &info) == 0, Int(info.st_size) > size { _ = ftruncate(fd, off_t(size)) }
    }

    deinit { close(fd) }

    public var lastEventId: Int { state.withLock { $0.lastEventId } }

    @discardableResult
    public func append(event: String, data: String) throws(EventLogError) -> Int {
        try state.withLock { state throws(EventLogError) in
            let id = state.lastEventId + 1
            try appendFrame(ServerSentEvent(event: event, data: data, id: String(id)).framed, size: &state.size)
            state.lastEventId = id
            return id
        }
    }

    public func flush() async throws(EventLogError) {}

    private func appendFrame(_ frame: String, size: inout Int) throws(EventLogError) {
        let bytes = Array(frame.utf8)
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
                throw EventLogError(.unwritable, errno: failure)
            }
            written += result
        }
        size += bytes.count
    }
}
