#if canImport(Glibc)
import Glibc
#endif
import Foundation
import StreamTokens

/// What the fan-out benches share: the descriptor limit raised to its hard bound, and N jobs each
/// with a `status` event in the log and a stream path with its token.
enum BenchJobs {
    /// Raises this process's descriptor limit to its hard bound (children inherit it); returns it.
    @discardableResult
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
    }

    /// `count` jobs, each PROCESSING in the log, and the stream path of each with its token.
    static func make(_ count: Int, appender: Appender, secret: String) async throws -> (jobs: [UUID], paths: [String]) {
        let issuer = StreamTokenIssuer(keys: try await StreamTokenKeys(secret: secret))
        var jobs: [UUID] = []
        var paths: [String] = []
        for _ in 0..<count {
            let job = UUID()
            try await appender.append(job: job, event: "status", data: #"{"status":"PROCESSING"}"#)
            jobs.append(job)
            let token = try await issuer.issue(job: job, audience: "landing", subject: "anonymous")
            paths.append("/api/landing-assistant/stream/\(job.uuidString.lowercased())?token=\(token)")
        }
        try await appender.flush()
        return (jobs, paths)
    }
}
