#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Watches one directory with inotify and reports the names of files created, written or moved in,
/// on a thread of its own: one watch serves a whole process.
public final class DirectoryWatcher: Service, Sendable {
    /// What the watcher saw change.
    public enum Change: Sendable, Equatable {
        /// This file was created, written to, or moved in.
        case file(String)
        /// Events were lost (the kernel queue overflowed): any file may have changed.
        case unknown
    }

    let directory: String
    let logger: Logger
    let onChange: @Sendable (Change) -> Void
    /// How often everything counts as changed when inotify is unavailable.
    let fallbackInterval: Duration
    private let stopped = Atomic<Bool>(false)

    /// - Parameter onChange: called on the watcher's own thread for each change; keep it short.
    public init(
        directory: String, logger: Logger, fallbackInterval: Duration = .milliseconds(500),
        onChange: @escaping @Sendable (Change) -> Void
    ) {
        self.directory = directory
        self.fallbackInterval = fallbackInterval
        self.logger = logger
        self.onChange = onChange
    }

    public func run() async throws {
        #if canImport(Glibc)
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            logger.error("inotify is unavailable; falling back to periodic checks", metadata: ["errno": "\(errno)"])
            return await reportPeriodically()
        }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            // ENOSPC here means the host's max_user_watches is spent: degrade, do not stop the service.
            let error = errno
            close(fd)
            logger.error("cannot watch the directory; falling back to periodic checks", metadata: ["path": "\(directory)", "errno": "\(error)"])
            return await reportPeriodically()
        }
        // inotify reads block, so they get a thread of their own rather than a cooperative one.
        let finished = AsyncStream<Void>.makeStream()
        let thread = Thread { [self] in
            self.readEvents(fd: fd)
            close(fd)
            finished.continuation.finish()
        }
        thread.name = "directory-watcher"
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
        #else
        await reportPeriodically()
        #endif
    }

    /// Without inotify: says "anything may have changed" every `fallbackInterval` until shutdown
    /// (returning early would end the whole service group).
    private func reportPeriodically() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.fallbackInterval) }
            onChange(.unknown)
        }
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
                    onChange(.file(String(cString: buffer.advanced(by: nameStart).assumingMemoryBound(to: CChar.self))))
                }
                offset = nameStart + Int(event.len)
            }
        }
    }
    #endif
}
