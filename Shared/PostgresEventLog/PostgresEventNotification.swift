import Foundation

/// What a NOTIFY on ``PostgresEventLog/channel`` says: a job's log grew from `firstId` to
/// `lastId`, with the frames themselves when they fit in the payload.
///
/// Payload: `<job> <firstId> <lastId>`, then a newline and the frames when they fit. Without
/// them a replica that serves the job reads the range from the table.
struct PostgresEventNotification: Equatable {
    var job: UUID
    var firstId: Int
    var lastId: Int
    /// The frames, `nil` when they did not fit.
    var frames: String?

    /// The payload, the frames left out when it would pass `limit` bytes.
    func payload(limit: Int) -> String {
        let header = "\(job.uuidString.lowercased()) \(firstId) \(lastId)"
        guard let frames, header.utf8.count + 1 + frames.utf8.count <= limit else { return header }
        return header + "\n" + frames
    }

    init(job: UUID, firstId: Int, lastId: Int, frames: String?) {
        self.job = job
        self.firstId = firstId
        self.lastId = lastId
        self.frames = frames
    }

    /// Reads a payload; nil for anything else.
    init?(payload: String) {
        let header: Substring
        if let newline = payload.firstIndex(of: "\n") {
            header = payload[..<newline]
            frames = String(payload[payload.index(after: newline)...])
        } else {
            header = Substring(payload)
            frames = nil
        }
        let parts = header.split(separator: " ")
        guard parts.count == 3, let job = UUID(uuidString: String(parts[0])), let first = Int(parts[1]), let last = Int(parts[2]), first <= last
        else { return nil }
        self.job = job
        self.firstId = first
        self.lastId = last
    }
}
