import Foundation
import EventLog
import Jobs
import Logging
import SSE
import Spool
import Testing

@Suite final class SpoolTests {
    let spool: Spool

    init() throws {
        spool = Spool(directory: NSTemporaryDirectory() + "spool-test-\(UUID().uuidString)")
        try spool.prepare()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: spool.directory)
    }

    @Test func aJobsFileIsNamedByItsLowercaseIdAndTheNameLeadsBackToIt() {
        for _ in 0..<100 {
            let job = UUID()
            let path = spool.path(for: job)
            #expect(path == "\(spool.directory)/\(job.uuidString.lowercased()).events")
            #expect(Spool.jobID(fromFileName: String(path.split(separator: "/").last ?? "")) == job)
            #expect(Spool.jobID(fromFileName: "\(job.uuidString).events") == job, "uppercase reads too")
        }
        let name = "0f8fad5b-d9cb-469f-a165-70867728950e"
        #expect(Spool.jobID(fromFileName: name + ".events") == UUID(uuidString: name))
        for other in [name, name + ".tmp", name + ".events.tmp", "0f8fad5b-d9cb-469f-a165-70867728950g.events", "0f8fad5bd-9cb-469f-a165-70867728950e.events", ".events"] {
            #expect(Spool.jobID(fromFileName: other) == nil, "\(other)")
        }
    }

    @Test func writerNumbersEventsAndReaderReturnsThem() throws {
        let job = UUID()
        let writer = try SpoolWriter(spool: spool, job: job)
        #expect(try writer.append(event: "status", data: #"{"status":"PROCESSING"}"#) == 1)
        #expect(try writer.append(event: "delta", data: #"{"text":"a"}"#) == 2)
        let read = try #require(try spool.read(job: job, from: 0))
        let (frames, next) = (read.frames, read.next)
        #expect(frames.map(\.id) == [1, 2])
        #expect(frames.map(\.event) == ["status", "delta"])
        #expect(frames[1].data == #"{"text":"a"}"#)
        #expect(try spool.read(job: job, from: next)?.frames.isEmpty == true)
    }

    @Test func aMissingFileReadsAsNil() throws {
        #expect(try spool.read(job: UUID(), from: 0) == nil)
    }

    @Test func theReaderNeverYieldsAPartialFrame() throws {
        let job = UUID()
        let whole = ServerSentEvent(event: "delta", data: "one", id: "1").framed
        let partial = "event: delta\nid: 2\ndata: tw"
        try Data((whole + partial).utf8).write(to: URL(fileURLWithPath: spool.path(for: job)))
        let read = try #require(try spool.read(job: job, from: 0))
        let (frames, next) = (read.frames, read.next)
        #expect(frames.count == 1)
        #expect(next == whole.utf8.count)
        // Every cut of a frame yields nothing until the blank line arrives.
        let frame = Array(ServerSentEvent(event: "delta", data: "x\ny", id: "9").framed.utf8)
        for cut in 0..<frame.count {
            #expect(EventFrame.split(frame[0..<cut]).frames.isEmpty)
        }
        #expect(EventFrame.split(frame[...]).frames.count == 1)
    }

    @Test func aReopenedWriterContinuesNumberingAndCutsATornFrame() throws {
        let job = UUID()
        do {
            let writer = try SpoolWriter(spool: spool, job: job)
            try writer.append(event: "delta", data: "a")
            try writer.append(event: "delta", data: "b")
        }
        let handle = try #require(FileHandle(forWritingAtPath: spool.path(for: job)))
        handle.seekToEndOfFile()
        handle.write(Data("event: delta\nid: 3\nda".utf8))
        try handle.close()

        let writer = try SpoolWriter(spool: spool, job: job)
        #expect(writer.lastEventId == 2)
        #expect(writer.existingFrames.count == 2)
        #expect(try writer.append(event: "delta", data: "c") == 3)
        let frames = try #require(try spool.read(job: job, from: 0)).frames
        #expect(frames.map(\.id) == [1, 2, 3])
        #expect(frames.map(\.data) == ["a", "b", "c"])
    }

    @Test func theWatcherReportsAppendsThroughInotify() async throws {
        let job = UUID()
        let (changes, continuation) = AsyncStream<EventLogChange>.makeStream()
        let watcher = spool.watcher(logger: Logger(label: "test")) { continuation.yield($0) }
        let task = Task { try await watcher.run() }
        defer { task.cancel() }
        // inotify_add_watch happens as run() starts; write until the watcher has seen our file.
        let seen = Task {
            for await change in changes where change == .job(job) { return true }
            return false
        }
        let writer = try SpoolWriter(spool: spool, job: job)
        for index in 0..<100 {
            try writer.append(event: "delta", data: "\(index)")
            try await Task.sleep(for: .milliseconds(20))
            if index > 3 { break }
        }
        let result = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await seen.value }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            continuation.finish()
            return first
        }
        #expect(result)
    }
}
