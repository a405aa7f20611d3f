import Foundation
import HTTPSupport
import Jobs

/// The legacy polling body.
struct JobStatusBody: Encodable {
    var jobId: String
    var status: String
    var result: JobResult?
    var errorMessage: String?
}
