import Dispatch
import EventLog
import Foundation

/// The spool as the event log: the worker's appends go to files, replicas read them in place.
extension Spool: EventLog, EventLogReader {
    /// The file is read whatever `startsEmpty` says: that is cheap, and it repairs a torn frame.
    public func writer(for job: UUID, startsEmpty: Bool) async throws(EventLogError) -> any EventLogWriter {
        try SpoolWriter(spool: self, job: job)
    }

    public func prune(endedBefore: Date, unendedBefore: Date) async throws(EventLogError) -> Int {
        // A big folder takes a while: not on the two threads that run every task.
        let spool = self
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, EventLogError>, Never>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(EventLogError) in
                    try spool.pruneFiles(endedBefore: endedBefore, unendedBefore: unendedBefore)
                })
            }
        }
        return try result.get()
    }

    public func loggedJobs() async throws(EventLogError) -> [UUID] {
        let spool = self
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[UUID], EventLogError>, Never>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: Result { () throws(EventLogError) in try spool.jobsWithFiles() })
            }
        }
        return try result.get()
    }

    public func erase(jobs: [UUID]) async throws(EventLogError) {
        for job in jobs where unlink(path(for: job)) != 0 && errno != ENOENT {
            throw EventLogError(.unwritable, errno: errno)
        }
    }

    /// Nothing to do: every replica reads the files themselves.
    public func prepare(job: UUID) async throws(EventLogError) {}

    /// Nothing to do: a read of the file sees every write made before it.
    public func refresh(job: UUID) async throws(EventLogError) {}
}
