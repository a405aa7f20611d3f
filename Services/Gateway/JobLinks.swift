import Foundation
import Jobs
import StreamTokens

/// The URLs a client follows for one job: its stream (with a fresh stream token), the legacy
/// poll, and the stop.
struct JobLinks: Encodable {
    var streamUrl: String
    var pollUrl: String
    var cancelUrl: String

    init(job: Job, tokens: StreamTokenIssuer, streamPublicURL: String) async throws {
        let id = job.id.uuidString.lowercased()
        let prefix = job.kind.routePrefix
        let token = try await tokens.issue(job: job.id, audience: job.kind.rawValue, subject: job.userId)
        streamUrl = "\(streamPublicURL)\(prefix)/stream/\(id)?token=\(token)"
        pollUrl = "\(prefix)/job/\(id)"
        cancelUrl = "\(prefix)/job/\(id)/cancel"
    }
}
