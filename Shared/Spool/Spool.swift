#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
        "\(directory)/\(job.uuidString.lowercased())\(Self.fileExtension)"
    }

    /// The job a spool file name belongs to, or `nil` for any other file.
    public static func jobID(fromFileName name: String) -> UUID? {
        guard name.hasSuffix(fileExtension) else { return nil }
        return UUID(uuidString: String(name.dropLast(fileExtension.count)))
    }

    static let fileExtension = ".events"

    /// Reads a job's file from `offset` up to the end of its last complete frame.
    ///
    /// - Returns: `nil` when the job has no file yet; otherwise the complete frames after `offset`
    ///   and the offset just past them. Bytes of a frame still being written are left for later.
    public func read(job: UUID, from offset: Int) throws(SpoolError) -> (frames: [SpoolFrame], next: Int)? {
        let fd = open(path(for: job), O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SpoolError(.unreadable, errno: errno)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SpoolError(.unreadable, errno: errno) }
        let size = Int(info.st_size)
        guard size > offset else { return ([], offset) }
        var bytes = [UInt8](repeating: 0, count: size - offset)
        // A page-cached regular file: pread returns at once, so it runs on the caller's thread.
        let count = bytes.withUnsafeMutableBytes { buffer in
            pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
        }
        guard count >= 0 else { throw SpoolError(.unreadable, errno: errno) }
        let (frames, consumed) = SpoolFrame.split(bytes[0..<count])
        return (frames, offset + consumed)
    }

    /// Deletes a job's file (retention).
    public func remove(job: UUID) {
        unlink(path(for: job))
    }
}
