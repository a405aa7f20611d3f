import Assistant
import Foundation
import Jobs
import Spool
import Testing

/// Retried attempts never show the browser the same text twice.
@Suite final class AnswerSpoolerTests {
    let spool: Spool
    let job = UUID()

    init() throws {
        spool = Spool(directory: NSTemporaryDirectory() + "spooler-test-\(UUID().uuidString)")
        try spool.prepare()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: spool.directory)
    }

    /// One attempt; with no pace, so that each piece is its own delta.
    func attempt(_ number: Int, pieces: [String], pace: Duration = .zero) throws -> String {
        let spooler = AnswerSpooler(writer: try SpoolWriter(spool: spool, job: job), attempt: number, pace: pace)
        for piece in pieces { try spooler.receive(piece) }
        return try spooler.finish()
    }

    func events() throws -> [(String, String)] {
        try #require(try spool.read(job: job, from: 0)).frames.map { ($0.event ?? "", $0.data) }
    }

    /// The delta texts after the last reset, as a browser would show them.
    func shownText() throws -> String {
        var text = ""
        for (event, data) in try events() {
            if event == "reset" { text = "" }
            if event == "delta" {
                text += (try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])?["text"] as? String ?? ""
            }
        }
        return text
    }

    @Test func aFirstAttemptSpoolsEachPiece() throws {
        #expect(try attempt(1, pieces: ["Hel", "lo ", "wörld"]) == "Hello wörld")
        #expect(try events().map(\.0) == ["delta", "delta", "delta"])
        #expect(try shownText() == "Hello wörld")
    }

    @Test func aRetryThatRepeatsTheStartSendsOnlyWhatIsNew() throws {
        _ = try attempt(1, pieces: ["Hello ", "wor"])
        let answer = try attempt(2, pieces: ["Hel", "lo w", "orld", "!"])
        #expect(answer == "Hello world!")
        #expect(try events().map(\.0) == ["delta", "delta", "delta", "delta"])
        #expect(try shownText() == answer)
    }

    @Test func aRetryThatDivergesResetsFirst() throws {
        _ = try attempt(1, pieces: ["Hello ", "there"])
        let answer = try attempt(2, pieces: ["Hello ", "world"])
        #expect(try events().map(\.0).contains("reset"))
        #expect(try shownText() == answer)
    }

    @Test func aShorterRetryResetsAtTheEnd() throws {
        _ = try attempt(1, pieces: ["Hello ", "there, friend"])
        let answer = try attempt(2, pieces: ["Hello ", "there"])
        #expect(answer == "Hello there")
        #expect(try events().last?.0 == "delta")
        #expect(try shownText() == "Hello there")
    }

    @Test func aBurstSendsTheFirstPieceAtOnceAndTheRestTogether() throws {
        // A pace no test outlasts: only the end sends what was held.
        let spooler = AnswerSpooler(writer: try SpoolWriter(spool: spool, job: job), attempt: 1, pace: .seconds(3600))
        for piece in ["Hel", "lo ", "wö", "rld"] { try spooler.receive(piece) }
        #expect(try events().map(\.0) == ["delta"])
        #expect(try spooler.finish() == "Hello wörld")
        #expect(try events().map(\.0) == ["delta", "delta"])
        #expect(try shownText() == "Hello wörld")
    }

    @Test func heldTextGoesOutOnceThePaceHasPassedEvenWithoutAnEnd() async throws {
        let spooler = AnswerSpooler(writer: try SpoolWriter(spool: spool, job: job), attempt: 1, pace: .milliseconds(50))
        for piece in ["a", "b", "c"] { try spooler.receive(piece) }
        #expect(try events().count == 1)
        for _ in 0..<100 where try events().count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try events().map(\.0) == ["delta", "delta"])
        #expect(try shownText() == "abc")
    }

    @Test func aStoppedAttemptDropsWhatItHeldAndTheRetrySendsIt() async throws {
        let spooler = AnswerSpooler(writer: try SpoolWriter(spool: spool, job: job), attempt: 1, pace: .milliseconds(20))
        for piece in ["Hello ", "wor"] { try spooler.receive(piece) }
        spooler.stop()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try events().count == 1, "the held piece was dropped, not written after the stop")
        #expect(try shownText() == "Hello ")
        let answer = try attempt(2, pieces: ["Hello ", "world"])
        #expect(!(try events().map(\.0).contains("reset")))
        #expect(try shownText() == answer)
    }
}
