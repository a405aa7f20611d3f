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
}
