import FileEvents
import Foundation
import Logging

/// What changed in the spool.
public enum SpoolChange: Sendable, Equatable {
    /// This job's file grew or appeared.
    case job(UUID)
    /// Events were lost (the kernel queue overflowed): any file may have changed.
    case unknown
}

extension Spool {
    /// A watcher of the spool directory reporting which job's file changed: one inotify watch per
    /// process, fanned out to every waiting connection by the caller.
    public func watcher(logger: Logger, onChange: @escaping @Sendable (SpoolChange) -> Void) -> DirectoryWatcher {
        DirectoryWatcher(directory: directory, logger: logger) { change in
            switch change {
            case .file(let name):
                if let job = Spool.jobID(fromFileName: name) { onChange(.job(job)) }
            case .unknown:
                onChange(.unknown)
            }
        }
    }
}
