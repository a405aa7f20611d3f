import Foundation
import TestSupport
import Testing

/// The demo page in a real browser: headless Chromium loads it from the gateway, asks both
/// assistants, and the answers arrive through native `EventSource` (cross-origin, token in the URL).
@Suite(.serialized)
struct BrowserTests {
    /// Debian's Chromium (installed by .ci/run); `CHROMIUM` names another.
    static var chromium: String {
        ProcessInfo.processInfo.environment["CHROMIUM"] ?? "/usr/bin/chromium"
    }

    @Test func bothAssistantsAnswerInTheDemoPage() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.chromium), "no Chromium at \(Self.chromium): apt-get install -y chromium")
        try await withTestSystem(store: .sqlite, environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "10"]) { system in
            let guide = "How much does the yearly plan cost?"
            let tutor = "What does temperature do when sampling tokens?"
            func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
            let page = "\(system.gatewayURL)/?ask-guide=\(encoded(guide))&ask-tutor=\(encoded(tutor))"
            let result = try await runToCompletion(Self.chromium, arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=20000",
                "--user-data-dir=\(system.workDir)/chromium", "--dump-dom", page,
            ], environment: ["HOME": system.workDir])
            let dom = result.output
            #expect(dom.components(separatedBy: #"data-state="completed""#).count - 1 == 2, "\(dom.suffix(3000))\n\(system.logs.suffix(3000))")
            #expect(dom.contains("From “Plans and Pricing”"))
            #expect(dom.contains("From “How Large Language Models Work”"))
            #expect(dom.contains("Sources: "))
            #expect(dom.contains("Signed in as demo-user"))
            #expect(!dom.contains(#"data-state="failed""#))
        }
    }

    /// Headless Chromium on `page` until its virtual time runs out; the page's DOM then.
    static func dumpDOM(_ page: String, system: TestSystem, budget: Int = 20000) async throws -> String {
        try await runToCompletion(Self.chromium, arguments: [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=\(budget)",
            "--user-data-dir=\(system.workDir)/chromium", "--dump-dom", page,
        ], environment: ["HOME": system.workDir]).output
    }

    /// The conversation the page kept: the landing guide's only one in this fresh store.
    static func landingConversation(_ system: TestSystem, dom: String) async throws -> [[String: Any]] {
        let sessions = try await readLandingSessionIds(system)
        let id = try #require(sessions.first, "the page asked in a conversation")
        let read = try await TestHTTP.get("\(system.gatewayURL)/api/landing-assistant/sessions/\(id)")
        return try #require(try read.json()["messages"] as? [[String: Any]])
    }

    /// The landing conversations in the database (anonymous ones are not listed over HTTP).
    static func readLandingSessionIds(_ system: TestSystem) async throws -> [String] {
        let sqlite = try await runToCompletion("/usr/bin/sqlite3", arguments: [
            String(system.databaseURL.dropFirst("sqlite:".count)), "SELECT id FROM chat_sessions WHERE kind = 'landing'",
        ], environment: [:])
        return sqlite.output.split(separator: "\n").map(String.init)
    }

    /// Asks the landing guide `question` from the page, which then does `then` (`reload:2`,
    /// `stop:2`); gives the page's DOM at the end and the conversation as stored.
    static func askOnThePage(_ question: String, then: String, _ body: (String, [[String: Any]]) async throws -> Void) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.chromium), "no Chromium at \(Self.chromium)")
        try await withTestSystem(store: .sqlite, environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "60"]) { system in
            let page = "\(system.gatewayURL)/?ask-guide=\(question.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&then=\(then)"
            let dom = try await Self.dumpDOM(page, system: system)
            try await body(dom, try await Self.landingConversation(system, dom: dom))
        }
    }

    @Test func aReloadMidAnswerShowsTheAnswerOnceComplete() async throws {
        let question = "How much does the yearly plan cost?"
        try await Self.askOnThePage(question, then: "reload:2") { dom, messages in
            let answer = try #require(messages.last?["content"] as? String)
            #expect(messages.count == 2 && messages.last?["stopped"] as? Bool == false)
            // The page reloaded and read the conversation back, running answer included.
            #expect(dom.contains(#"data-restored="guide""#))
            // After the reload: the question once, the whole answer once, completed.
            #expect(dom.components(separatedBy: #"data-state="completed""#).count - 1 == 1, "\(dom.suffix(3000))")
            #expect(dom.components(separatedBy: ">\(question)<").count - 1 == 1)
            #expect(dom.components(separatedBy: answer.prefix(60)).count - 1 == 1, "the answer's text once")
            #expect(dom.contains("Sources: "))
        }
    }

    @Test func theStopButtonKeepsThePartialAnswerMarkedStopped() async throws {
        try await Self.askOnThePage("Tell me about the course catalogue", then: "stop:2") { dom, messages in
            let partial = try #require(messages.last?["content"] as? String)
            #expect(messages.last?["stopped"] as? Bool == true && !partial.isEmpty)
            #expect(dom.contains(#"data-state="stopped""#) && dom.contains(">Stopped<"), "\(dom.suffix(3000))")
            #expect(!dom.contains(#"data-state="completed""#) && !dom.contains(#"data-state="failed""#))
            #expect(dom.contains(partial.prefix(40)))
            #expect(!dom.contains("data-restored"), "no reload here")
        }
    }
}
