import Foundation
import TestSupport
import Testing

/// The browser client (`/tutorline-client.js`) in a real browser, as a platform's frontend uses
/// it: a page of another origin imports it from the gateway, asks both assistants, follows and
/// resumes answers through native `EventSource` (mid-answer and past its end), stops one, reads and
/// deletes a conversation, and is told when to retry past the rate limit.
@Suite(.serialized)
struct BrowserClientTests {
    /// The frontend's page: runs the scenario and writes what it saw into `#result` as JSON.
    static let page = #"""
    <!doctype html>
    <html><head><meta charset="utf-8"><title>A frontend on the client</title></head>
    <body><pre id="result"></pre>
    <script type="module">
    const report = {};
    try {
      const gateway = new URLSearchParams(location.search).get("gateway");
      const { createClient, TutorlineError } = await import(gateway + "/tutorline-client.js");
      const signIn = await fetch(gateway + "/demo/token", { method: "POST" }).then((r) => r.json());
      const tutorline = createClient({ baseUrl: gateway, token: () => signIn.token });

      // Errors are values with the contract's codes.
      try { await tutorline.guide.ask({ question: "   " }); report.empty = "accepted"; }
      catch (e) { report.empty = { typed: e instanceof TutorlineError, code: e.code, status: e.status }; }
      try { await createClient({ baseUrl: gateway, token: "not-a-token" }).tutor.ask({ question: "Hi?", courseId: "ai-native-fullstack-developer" }); }
      catch (e) { report.badToken = e.code; }

      // One idempotency key, one job.
      const key = crypto.randomUUID();
      const first = await tutorline.guide.ask({ question: "How much does the yearly plan cost?", idempotencyKey: key });
      const again = await tutorline.guide.ask({ question: "How much does the yearly plan cost?", idempotencyKey: key });
      report.sameJob = first.jobId === again.jobId;

      // Followed with callbacks, awaited as a promise.
      let pieces = 0;
      let streamed = "";
      const seen = [];
      const following = tutorline.follow(first, {
        onText: (text, piece) => { if (piece) pieces += 1; streamed = text; },
        onEvent: (id) => seen.push([id, following.text]),
      });
      const followed = await following.done;
      report.follow = { pieces, matches: streamed === followed.answer, stopped: followed.stopped, sources: followed.result.sources.length, answer: followed.answer };

      // Resumed after an event (a reload): the rest only, joined to the text kept.
      const [cut, kept] = seen[1];
      let resumedPieces = 0;
      const resumed = await tutorline.follow(first, { onText: (text, piece) => { if (piece) resumedPieces += 1; } }, { lastEventId: cut, text: kept }).done;
      report.resume = { same: resumed.answer === followed.answer, pieces: resumedPieces, of: pieces };

      // Resumed past the end (a reload after the answer ended): the stream answers 204, which
      // EventSource cannot tell from an error; the client settles it from the job's status.
      const [lastId] = seen[seen.length - 1];
      const after = await tutorline.follow(first, {}, { lastEventId: lastId, text: followed.answer }).done;
      report.pastTheEnd = after.answer === followed.answer && after.result !== null;

      // The tutor: ask, follow, list, read, delete.
      const tutorJob = await tutorline.tutor.ask({ question: "What does temperature do when sampling tokens?", courseId: "ai-native-fullstack-developer" });
      const tutorAnswer = await tutorline.follow(tutorJob).done;
      const sessionId = tutorAnswer.result.sessionId;
      const listed = await tutorline.tutor.conversations({ limit: 5 });
      report.listed = listed.sessions.some((s) => s.sessionId === sessionId);
      report.roles = (await tutorline.tutor.conversation(sessionId)).messages.map((m) => m.role);
      await tutorline.tutor.deleteConversation(sessionId);
      try { await tutorline.tutor.conversation(sessionId); report.deleted = "still there"; }
      catch (e) { report.deleted = e.code; }

      // Stopped mid-answer: the text so far, marked stopped.
      const slow = await tutorline.guide.ask({ question: "Tell me about the course catalogue" });
      let stopping = null;
      const stopped = await tutorline.follow(slow, { onText: (text, piece) => { if (piece && !stopping) stopping = tutorline.guide.stop(slow); } }).done;
      report.stop = { stopped: stopped.stopped, asked: (await stopping).status, partial: stopped.answer };

      // Past the anonymous limit: a typed error that says when to retry (a header another
      // origin may read only when the service exposes it).
      for (let asked = 0; asked < 12 && !report.limited; asked += 1) {
        try { await tutorline.guide.ask({ question: "One more? " + asked }); }
        catch (e) { report.limited = { code: e.code, status: e.status, retryAfter: e.retryAfter }; }
      }
    } catch (error) {
      report.error = String((error && error.stack) || error);
    }
    document.getElementById("result").textContent = JSON.stringify(report);
    document.body.dataset.done = "yes";
    </script></body></html>
    """#

    @Test func aFrontendOnTheClientAsksFollowsResumesStopsAndDeletes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: BrowserTests.chromium), "no Chromium at \(BrowserTests.chromium)")
        let frontend = await LocalServer.serving(page: Self.page, label: "frontend")
        defer { frontend.stop() }
        let origin = "http://127.0.0.1:\(frontend.port)"
        // The frontend's origin is the one allowed, as a platform deploys it.
        try await withTestSystem(store: .sqlite, environment: ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "60", "CORS_ORIGINS": origin, "ANON_RATE_LIMIT": "6"]) { system in
            let gateway = system.gatewayURL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let dom = try await BrowserTests.dumpDOM("\(origin)/?gateway=\(gateway)", system: system, budget: 60000)
            let json = try #require(dom.firstRange(of: #"<pre id="result">"#).flatMap { start in
                dom[start.upperBound...].firstRange(of: "</pre>").map { dom[start.upperBound..<$0.lowerBound] }
            }, "\(dom.suffix(2000))")
            let text = json.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
            #expect(report["error"] == nil, "\(report["error"] ?? "")\n\(system.logs.suffix(3000))")

            let empty = report["empty"] as? [String: Any]
            #expect(empty?["typed"] as? Bool == true && empty?["code"] as? String == "empty_question" && empty?["status"] as? Int == 400)
            #expect(report["badToken"] as? String == "invalid_token")
            #expect(report["sameJob"] as? Bool == true)

            let follow = try #require(report["follow"] as? [String: Any])
            #expect(follow["matches"] as? Bool == true && follow["stopped"] as? Bool == false)
            #expect((follow["pieces"] as? Int ?? 0) > 2 && (follow["sources"] as? Int ?? 0) > 0)
            #expect((follow["answer"] as? String ?? "").contains("Plans and Pricing"))

            let resume = try #require(report["resume"] as? [String: Any])
            #expect(resume["same"] as? Bool == true, "the resumed answer is the whole answer, nothing twice")
            #expect((resume["pieces"] as? Int ?? 0) < (resume["of"] as? Int ?? 0), "only the pieces after the cut")

            #expect(report["listed"] as? Bool == true)
            #expect(report["roles"] as? [String] == ["user", "assistant"])
            #expect(report["deleted"] as? String == "session_not_found")

            #expect(report["pastTheEnd"] as? Bool == true)
            let limited = try #require(report["limited"] as? [String: Any])
            #expect(limited["code"] as? String == "rate_limited" && limited["status"] as? Int == 429)
            #expect((limited["retryAfter"] as? Int ?? 0) > 0, "Retry-After readable from another origin")

            let stop = try #require(report["stop"] as? [String: Any])
            #expect(stop["stopped"] as? Bool == true && stop["asked"] as? String == "PROCESSING")
            #expect(!(stop["partial"] as? String ?? "").isEmpty)
        }
    }
}
