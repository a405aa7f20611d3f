import ArgumentParser
import EventLog
import Foundation
import SSE
import TestSupport

/// `tutorline-bench real-model`: questions through the whole system to a real model server
/// (`scripts/real-model-bench.sh` installs and starts llama-cpp-python's with a small Gemma).
struct RealModel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "real-model",
        abstract: "Course questions through the system to a real OpenAI-compatible server: first token, tokens/s, tokens per answer, follow-ups parsed.",
        discussion: "Never in CI. Run through scripts/real-model-bench.sh, which starts the model server."
    )

    @Option(help: "The model server's OpenAI base URL.") var llmURL = "http://127.0.0.1:8089/v1"
    @Option(help: "The model name the server answers to.") var model = "gemma"
    @Option(help: "How many questions, asked one at a time.") var questions = 12
    @Option(help: "postgres or sqlite.") var store = "sqlite"
    @Option(help: "LLM_MAX_TOKENS.") var maxTokens = 256

    static let asked: [(assistant: String, question: String)] = [
        ("tutor", "What does temperature do when sampling tokens?"),
        ("guide", "How much does the yearly plan cost?"),
        ("tutor", "How does a context window limit what the model sees?"),
        ("guide", "Which course should I take first if I know some JavaScript?"),
        ("tutor", "Why do answers stream token by token?"),
        ("guide", "Is there a refund if the course is not for me?"),
    ]

    struct Sample {
        var first: Duration
        var completed: Duration
        var completionTokens: Int?
        /// Whether the server reported the usage (else the bench counted the tokens).
        var usageReported: Bool
        var suggestions: Int
        var answer: String
    }

    /// The answer's tokens counted by the server itself (llama-cpp-python's `/extras/tokenize`), for
    /// servers that report no usage while streaming; the leading BOS token is not the answer's.
    func tokenCount(of answer: String) async throws -> Int? {
        var root = llmURL
        if root.hasSuffix("/v1") { root.removeLast(3) }
        let response = try? await TestHTTP.postJSON(root + "/extras/tokenize", ["input": answer])
        guard let response, response.status == 200, let tokens = try response.json()["tokens"] as? [Any] else { return nil }
        return max(0, tokens.count - 1)
    }

    func run() async throws {
        guard let kind = StoreKind(rawValue: store) else { throw ValidationError("--store is postgres or sqlite") }
        let environment = [
            "LLM_BASE_URL": llmURL, "LLM_MODEL": model, "LLM_MAX_TOKENS": String(maxTokens), "LLM_TIMEOUT_SECONDS": "600", "LLM_IDLE_TIMEOUT_SECONDS": "300",
            "LOG_LEVEL": "info", "ANON_RATE_LIMIT": "0", "WORKER_CONCURRENCY": "1",
        ]
        var samples: [Sample] = []
        try await withTestSystem(store: kind, environment: environment) { system in
            let token = try await system.userToken("bench")
            for index in 0..<questions {
                let (assistant, question) = Self.asked[index % Self.asked.count]
                var sample = try await Self.measure(assistant: assistant, question: question, system: system, bearer: token)
                if sample.completionTokens == nil { sample.completionTokens = try await tokenCount(of: sample.answer) }
                samples.append(sample)
                let last = samples[samples.count - 1]
                print("  \(index + 1)/\(questions) \(assistant): first \(Latency.format(Latency.seconds(last.first) * 1000)) ms, "
                    + "total \(Latency.format(Latency.seconds(last.completed))) s, tokens \(last.completionTokens.map(String.init) ?? "?"), suggestions \(last.suggestions)")
            }
        }
        print("scenario real-model: \(questions) questions one at a time, model \(model) at \(llmURL), LLM_MAX_TOKENS \(maxTokens), store \(store), binaries \(ServiceProcess.binaryDirectory)")
        print("| measure | p50 | p99 | max |")
        print("|---|---|---|---|")
        let (f50, f99, fmax) = Latency.percentiles(samples.map(\.first))
        print("| POST → first token shown (ms) | \(Latency.format(f50)) | \(Latency.format(f99)) | \(Latency.format(fmax)) |")
        let (c50, c99, cmax) = Latency.percentiles(samples.map(\.completed))
        print("| POST → completed (ms) | \(Latency.format(c50)) | \(Latency.format(c99)) | \(Latency.format(cmax)) |")
        let tokens = samples.compactMap(\.completionTokens).sorted()
        let rates = samples.compactMap { sample in
            sample.completionTokens.map { Double($0) / max(0.001, Latency.seconds(sample.completed - sample.first)) }
        }.sorted()
        if !tokens.isEmpty {
            print("| completion tokens per answer | \(tokens[tokens.count / 2]) | \(tokens[min(tokens.count - 1, tokens.count * 99 / 100)]) | \(tokens.last ?? 0) |")
            print("| tokens/s after the first | \(Latency.format(rates[rates.count / 2])) | | |")
        }
        let parsed = samples.filter { $0.suggestions > 0 }.count
        let reported = samples.filter(\.usageReported).count
        print("answers with parsed follow-ups: \(parsed) of \(samples.count); usage reported by the server for \(reported) of \(samples.count) (the rest counted with /extras/tokenize)")
    }

    static func measure(assistant: String, question: String, system: TestSystem, bearer: String) async throws -> Sample {
        let clock = ContinuousClock()
        let start = clock.now
        let tutor = assistant == "tutor"
        var body: [String: Any] = ["question": question]
        if tutor { body["courseId"] = "ai-native-fullstack-developer" }
        let accepted = try await TestHTTP.postJSON(
            system.gatewayURL + (tutor ? "/assistant/query" : "/api/landing-assistant/query"), body,
            headers: tutor ? [("Authorization", "Bearer \(bearer)")] : []
        ).json()
        guard let streamUrl = accepted["streamUrl"] as? String, let job = accepted["jobId"] as? String else { throw ValidationError("not accepted: \(accepted)") }
        let firstDelta = FirstDelta()
        let stream = try await readEventStream(system.absolute(streamUrl), timeout: .seconds(600)) { events in
            if events.contains(where: { $0.event == "delta" }) { firstDelta.mark(clock.now) }
            return false
        }
        let end = clock.now
        guard let result = stream.data(of: "completed") else { throw ValidationError("no answer: \(stream.raw.suffix(400))") }
        // The worker logs what each answer cost: "answer cost" with completion_tokens=N and the job id.
        let costLine = system.worker.log.split(separator: "\n").first { $0.contains("answer cost") && $0.contains(job) }
        let tokens = costLine.flatMap { line in line.firstMatch(of: /completion_tokens=(\d+)/).flatMap { Int($0.output.1) } }
        return Sample(
            first: (firstDelta.instant ?? end) - start, completed: end - start, completionTokens: tokens, usageReported: tokens != nil,
            suggestions: (result["nextSuggestions"] as? [Any])?.count ?? 0, answer: result["answer"] as? String ?? ""
        )
    }
}
