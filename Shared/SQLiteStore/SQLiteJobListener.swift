import FileEvents
import Foundation
import Jobs
import Logging

/// Rings a worker's doorbells when a new job may have arrived in the SQLite store, or a running
/// job may have been asked to stop: SQLite has no NOTIFY, but a commit writes the database's WAL
/// file, so a write to it may mean either. The worker's own writes ring too; a claim attempt starts
/// with a cheap read, and the stop check queries only while jobs run, so that costs little.
/// The counterpart of `PostgresJobListener`.
public enum SQLiteJobListener {
    /// A watcher of the database's folder (run it as a service) that rings `doorbells`.
    public static func watcher(databasePath path: String, doorbells: WorkerDoorbells, logger: Logger) -> DirectoryWatcher {
        let file = URL(fileURLWithPath: path)
        let wal = file.lastPathComponent + "-wal"
        return DirectoryWatcher(directory: file.deletingLastPathComponent().path, logger: logger) { change in
            if change == .file(wal) || change == .unknown {
                doorbells.work.ring()
                doorbells.cancellations.ring()
            }
        }
    }
}
