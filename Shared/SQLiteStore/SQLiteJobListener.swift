import FileEvents
import Foundation
import Jobs
import Logging

/// Rings a ``Doorbell`` when a new job may have arrived in the SQLite store: SQLite has no
/// NOTIFY, but a commit writes the database's WAL file, so a write to it may mean a new job. The
/// worker's own writes ring too; a claim attempt starts with a cheap read, so that costs little.
/// The counterpart of `PostgresJobListener`.
public enum SQLiteJobListener {
    /// A watcher of the database's folder (run it as a service) that rings `doorbell`.
    public static func watcher(databasePath path: String, doorbell: Doorbell, logger: Logger) -> DirectoryWatcher {
        let file = URL(fileURLWithPath: path)
        let wal = file.lastPathComponent + "-wal"
        return DirectoryWatcher(directory: file.deletingLastPathComponent().path, logger: logger) { change in
            if change == .file(wal) || change == .unknown { doorbell.ring() }
        }
    }
}
