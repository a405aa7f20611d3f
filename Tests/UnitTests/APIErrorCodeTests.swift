import Foundation
import HTTPSupport
import Jobs
import LLM
import Testing

/// The codes clients branch on are written down: the README and docs/OPERATIONS.md name every
/// code the API can answer with, and name none it cannot.
@Suite struct APIErrorCodeTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func everyCodeIsDocumented() throws {
        let docs = try Self.document("README.md") + Self.document("docs/OPERATIONS.md")
        let undocumented = APIErrorCode.allCases.filter { !docs.contains($0.rawValue) }
        #expect(undocumented.isEmpty, "not in README.md or docs/OPERATIONS.md: \(undocumented.map(\.rawValue))")
    }

    /// "`400 invalid_limit`", "`403 session_not_yours`": a status followed by a code names a code of ours.
    @Test func everyDocumentedStatusAndCodeExists() throws {
        let docs = try Self.document("README.md") + Self.document("docs/OPERATIONS.md")
        let known = Set(APIErrorCode.allCases.map(\.rawValue))
        let pattern = try Regex(#"\b[45]\d\d `?([a-z]+(?:_[a-z]+)+)`?"#)
        let named = docs.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) }
        #expect(!named.isEmpty, "the pattern finds the documented codes")
        let unknown = Set(named).subtracting(known)
        #expect(unknown.isEmpty, "documented but never answered: \(unknown.sorted())")
    }

    /// A job's failure reaches the browser as the `failed` event's code: every code is named.
    @Test func everyJobFailureCodeIsDocumented() throws {
        let readme = try Self.document("README.md")
        let codes = JobFailureCode.allCases.map(\.rawValue) + LLMError.Code.allCases.map(\.rawValue)
        let undocumented = codes.filter { !readme.contains("`\($0)`") }
        #expect(undocumented.isEmpty, "not in README.md: \(undocumented)")
    }
}
