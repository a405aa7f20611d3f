#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventLog
import Foundation

extension Spool {
    /// How far from its end a file is searched for the start of its last frame.
    static let tailWindow = 64 * 1024

    /// Removes the files of jobs that ended before `endedBefore`, and files without an end last
    /// written before `unendedBefore`; returns how many. Other files in the folder are left
    /// alone. Several workers may prune the same spool. Throws when the folder cannot be read.
    public func pruneFiles(endedBefore: Date, unendedBefore: Date) throws(EventLogError) -> Int {
        let endedCutoff = endedBefore.timeIntervalSince1970
        let unendedCutoff = unendedBefore.timeIntervalSince1970
        guard let folder = opendir(directory) else { throw EventLogError(.unreadable, errno: errno) }
        defer { closedir(folder) }
        var removed = 0
        // Read entry by entry: the folder may hold a day of answers.
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Spool.jobID(fromFileName: name) != nil else { continue }
            let path = directory + "/" + name
            var info = stat()
            // lstat: a link's own age, and `unlink` removes the link, never what it points to.
            guard lstat(path, &info) == 0 else { continue }
            let modified = Double(info.st_mtim.tv_sec)
            guard modified < endedCutoff else { continue }
            guard modified < unendedCutoff || Self.hasEnded(path: path) else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    /// The jobs with a file in the folder.
    func jobsWithFiles() throws(EventLogError) -> [UUID] {
        guard let folder = opendir(directory) else { throw EventLogError(.unreadable, errno: errno) }
        defer { closedir(folder) }
        var jobs: [UUID] = []
        while let entry = readdir(folder) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let job = Spool.jobID(fromFileName: name) { jobs.append(job) }
        }
        return jobs
    }

    /// Whether the file's last frame is the job's end (`completed` or `failed`).
    static func hasEnded(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return false }
        let size = Int(info.st_size)
        let length = min(size, tailWindow)
        var tail = [UInt8](repeating: 0, count: length)
        let count = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(size - length)) }
        guard count == length, tail.suffix(2).elementsEqual([0x0A, 0x0A]) else { return false }
        // The last frame starts after the last blank line before the file's final one.
        let body = tail.dropLast(2)
        var start = body.startIndex
        var index = body.endIndex - 1
        while index > body.startIndex {
            if body[index] == 0x0A, body[index - 1] == 0x0A {
                start = index + 1
                break
            }
            index -= 1
        }
        if start == body.startIndex, length < size { return false }  // the frame is longer than the window
        let frame = body[start...]
        return frame.starts(with: Array("event: completed\n".utf8)) || frame.starts(with: Array("event: failed\n".utf8))
    }
}
