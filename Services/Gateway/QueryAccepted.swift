import Foundation
import HTTPSupport
import Jobs

/// The 202 body.
struct QueryAccepted: Encodable {
    var jobId: String
    var status: String
    /// The conversation the question went into (a new one when the request named none).
    var sessionId: String
    var streamUrl: String
    var pollUrl: String
    /// `POST` here stops the answer.
    var cancelUrl: String
}
