import Foundation
import WireFormat

/// The events of a job's stream, as the contract names them. Worker and stream service both
/// encode through here, so an event replayed from the store is byte-identical to the spooled one.
public enum JobEvent: Sendable, Equatable {
    case status(JobStatus)
    /// The next piece of the answer.
    case delta(String)
    /// The answer so far is void (a retried attempt produced different text); deltas start over.
    case reset(attempt: Int)
    case completed(JobResult)
    case failed(code: String, message: String)
    /// The owner stopped the answer: a `failed` event, code `cancelled`, with the text streamed so far.
    case stopped(answer: String)
    case timeout

    /// The `event:` field.
    public var name: String {
        switch self {
        case .status: "status"
        case .delta: "delta"
        case .reset: "reset"
        case .completed: "completed"
        case .failed, .stopped: "failed"
        case .timeout: "timeout"
        }
    }

    /// Whether the stream ends after this event.
    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .stopped, .timeout: true
        default: false
        }
    }

    /// The `data:` payload, one line of JSON.
    public var data: String {
        switch self {
        case .status(let status): Self.encode(["status": status.rawValue])
        case .delta(let text): Self.encode(["text": text])
        case .reset(let attempt): Self.encode(["attempt": attempt])
        case .completed(let result): Self.encode(result)
        case .failed(let code, let message): Self.encode(["error": message, "code": code])
        case .stopped(let answer): Self.encode(["error": JobFailure.cancelled.message, "code": JobFailure.cancelled.code, "answer": answer])
        case .timeout: "{}"
        }
    }

    /// The terminal event a finished job's stream ends with, from the stored job.
    public static func terminal(of job: Job) -> JobEvent? {
        switch job.status {
        case .completed:
            guard let result = job.result else { return nil }
            return .completed(result)
        case .failed where job.errorCode == JobFailure.cancelled.code:
            return .stopped(answer: job.partialAnswer ?? "")
        case .failed:
            return .failed(code: job.errorCode ?? "failed", message: job.errorMessage ?? "The answer could not be produced.")
        case .queued, .processing:
            return nil
        }
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder.wire()
        // Encoding these plain value types cannot fail; "{}" keeps the frame valid regardless.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
