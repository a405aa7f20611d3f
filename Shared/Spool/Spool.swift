#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventLog
import Foundation

/// The message-file spool: a directory holding one append-only file of framed SSE events per job.
///
/// The worker is the only writer of a job's file; stream replicas only read. The spool is a fast
/// path, not the system of record: the store holds every result, so files need no fsync.
public struct Spool: Sendable {
    /// The spool directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    /// Creates the directory (and its parents) when missing.
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// The file of a job's events.
    public func path(for job: UUID) -> String {
        directory + "/" + Self.fileName(for: job)
    }


    static let fileExtension = ".events"
}

extension Spool {

    /// Reads a job's file from `offset` up to the end of its last complete frame.
    ///
    /// - Returns: `nil` when the job has no file yet; otherwise the complete frames after `offset`,
    ///   the offset just past them, and when the file last changed. Bytes of a frame still being
    ///   written are left for later. With `maximumBytes`, at most that many bytes are read (more
    ///   only when one frame is longer, unless `wholeLongFrame` is false: then no frame, and
    ///   ``skipFrame(job:at:chunk:)`` steps over it), and `isPartial` says whether the file goes on.
    public func read(job: UUID, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead? {
        try withFile(of: job) { fd throws(EventLogError) in try read(fd, from: offset, maximumBytes: maximumBytes, wholeLongFrame: wholeLongFrame) }
    }

    private func read(_ fd: Int32, from offset: Int, maximumBytes: Int, wholeLongFrame: Bool) throws(EventLogError) -> EventLogRead {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EventLogError(.unreadable, errno: errno) }
        let size = Int(info.st_size)
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        guard size > offset else { return EventLogRead(frames: [], next: offset, modified: modified) }
        var length = min(size - offset, maximumBytes)
        while true {
            var bytes = [UInt8](repeating: 0, count: length)
            // A page-cached regular file: pread returns at once, so it runs on the caller's thread.
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            }
            guard count >= 0 else { throw EventLogError(.unreadable, errno: errno) }
            let (frames, consumed) = EventFrame.split(bytes[0..<count])
            let rest = size - offset - count
            // A single frame longer than the limit is read whole.
            if frames.isEmpty, rest > 0, wholeLongFrame {
                length = size - offset
                continue
            }
            return EventLogRead(frames: frames, next: offset + consumed, modified: modified, isPartial: rest > 0)
        }
    }

    /// Steps over the frame that starts at `offset` a chunk at a time, without holding it: its
    /// `event:` and `id:` lines, and the offset past its end; nil when it is not complete yet.
    /// For frames longer than a read should hold (a long answer's `completed` event repeats it).
    public func skipFrame(job: UUID, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)? {
        try withFile(of: job) { fd throws(EventLogError) in try skipFrame(fd, at: offset, chunk: chunk) }
    }

    private func skipFrame(_ fd: Int32, at offset: Int, chunk: Int) throws(EventLogError) -> (header: EventFrame, next: Int)? {
        var buffer = [UInt8](repeating: 0, count: max(chunk, 256))
        var position = offset
        var header: EventFrame?
        var previous: UInt8 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in pread(fd, bytes.baseAddress, bytes.count, off_t(position)) }
            guard count >= 0 else { throw EventLogError(.unreadable, errno: errno) }
            guard count > 0 else { return nil }
            // Our frames put `event:` and `id:` first: the first chunk holds them.
            let found = header ?? EventFrame(complete: buffer[0..<count])
            header = found
            for index in 0..<count {
                let byte = buffer[index]
                if byte == UInt8(ascii: "\n"), previous == UInt8(ascii: "\n"), position + index > offset + 1 {
                    return (found, position + index + 1)
                }
                previous = byte
            }
            position += count
        }
    }

    /// The size of a job's file; nil when it has none.
    public func length(job: UUID) -> Int? {
        var info = stat()
        return stat(path(for: job), &info) == 0 ? Int(info.st_size) : nil
    }

    /// Up to `maximumBytes` of a job's file from `offset`, whatever they hold (a slice of a long frame).
    public func bytes(job: UUID, from offset: Int, maximumBytes: Int) throws(EventLogError) -> ArraySlice<UInt8>? {
        try withFile(of: job) { fd throws(EventLogError) in
            var bytes = [UInt8](repeating: 0, count: max(0, maximumBytes))
            let count = bytes.withUnsafeMutableBytes { buffer in pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
            guard count >= 0 else { throw EventLogError(.unreadable, errno: errno) }
            return bytes[0..<count]
        }
    }

    /// Runs `body` with the job's file open for reading; nil when the job has no file yet.
    private func withFile<Result>(of job: UUID, _ body: (Int32) throws(EventLogError) -> Result?) throws(EventLogError) -> Result? {
        let fd = open(path(for: job), O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw EventLogError(.unreadable, errno: errno)
        }
        defer { close(fd) }
        return try body(fd)
    }

    /// Deletes a job's file (retention).
    public func remove(job: UUID) {
        unlink(path(for: job))
    }
}
