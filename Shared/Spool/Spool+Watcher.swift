import EventLog
import FileEvents
import Foundation
import Logging

extension Spool {
    /// A watcher of the spool directory reporting which job's file changed: one inotify watch per
    /// process, fanned out to every waiting connection by the caller.
    public func watcher(logger: Logger, onChange: @escaping @Sendable (EventLogChange) -> Void) -> DirectoryWatcher {
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
