#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import ServiceLifecycle

/// Deletes job files last written longer ago than the retention.
///
/// The spool is a delivery buffer, not the record: the store keeps every result, and a stream
/// whose file is gone ends from the store (its `completed` event carries the whole answer). Left
/// alone, the spool would grow by one file per answer forever.
public struct SpoolPruner: Service {
    let spool: Spool
    let retention: Duration
    let interval: Duration
    let logger: Logger

    public init(spool: Spool, retention: Duration, interval: Duration = .seconds(600), logger: Logger) {
        self.spool = spool
        self.retention = retention
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            prune()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Removes the job files last written before `now` minus the retention; returns how many.
    /// Other files in the folder are left alone. Several workers may prune the same spool.
    @discardableResult
    public func prune(now: Date = Date()) -> Int {
        let cutoff = now.timeIntervalSince1970 - Double(retention.components.seconds)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: spool.directory) else { return 0 }
        var removed = 0
        for name in names where Spool.jobID(fromFileName: name) != nil {
            let path = spool.directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, Double(info.st_mtim.tv_sec) < cutoff else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        if removed > 0 { logger.info("spool pruned", metadata: ["files": "\(removed)", "retention": "\(retention)"]) }
        return removed
    }
}
