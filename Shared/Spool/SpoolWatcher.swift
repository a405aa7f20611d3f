#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Watches the spool directory with inotify (one watch for the whole process) and reports
/// which job's file changed, so that one watch serves every waiting connection.
public final class SpoolWatcher: Service, Sendable {
    let spool: Spool
    let logger: Logger
    let onChange: @Sendable (SpoolChange) -> Void
    private let stopped = Atomic<Bool>(false)

    /// - Parameter onChange: called on the watcher's own thread for each change; keep it short.
    public init(spool: Spool, logger: Logger, onChange: @escaping @Sendable (SpoolChange) -> Void) {
        self.spool = spool
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        #if canImport(Glibc)
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            logger.error("inotify is unavailable; stream replicas fall back to their periodic checks", metadata: ["errno": "\(errno)"])
            return
        }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)
        guard inotify_add_watch(fd, spool.directory, mask) >= 0 else {
            let error = errno
            close(fd)
            logger.error("cannot watch the spool directory", metadata: ["path": "\(spool.directory)", "errno": "\(error)"])
            throw SpoolError(.unreadable, errno: error)
        }
        // inotify reads block, so they get a thread of their own rather than a cooperative one.
        let finished = AsyncStream<Void>.makeStream()
        let thread = Thread { [self] in
            self.readEvents(fd: fd)
            close(fd)
            finished.continuation.finish()
        }
        thread.name = "spool-watcher"
        thread.start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await _ in finished.stream {}
            } onCancel: {
                self.stopped.store(true, ordering: .relaxed)
            }
        } onGracefulShutdown: {
            self.stopped.store(true, ordering: .relaxed)
        }
        #endif
    }

    #if canImport(Glibc)
    private func readEvents(fd: Int32) {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: MemoryLayout<inotify_event>.alignment)
        defer { buffer.deallocate() }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .relaxed) {
            // Wake at least every 200 ms to notice a stop request.
            let ready = poll(&pollFD, 1, 200)
            if ready <= 0 { continue }
            let count = read(fd, buffer, bufferSize)
            if count <= 0 { continue }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = offset + MemoryLayout<inotify_event>.size
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    onChange(.unknown)
                } else if event.len > 0 {
                    let name = String(cString: buffer.advanced(by: nameStart).assumingMemoryBound(to: CChar.self))
                    if let job = Spool.jobID(fromFileName: name) { onChange(.job(job)) }
                }
                offset = nameStart + Int(event.len)
            }
        }
    }
    #endif
}

/// What the watcher saw change.
public enum SpoolChange: Sendable, Equatable {
    /// This job's file grew or appeared.
    case job(UUID)
    /// Events were lost (the kernel queue overflowed): any file may have changed.
    case unknown
}
