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

    func attempt(_ number: Int, pieces: [String]) throws -> String {
        let spooler = AnswerSpooler(writer: try SpoolWriter(spool: spool, job: job), attempt: number)
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
}
