import Foundation
import Knowledge
import TestSupport
import Testing

/// Hybrid retrieval through the real executables: the ingest embeds the chunks through an
/// OpenAI-compatible `/embeddings` server (the deterministic stand-in), the worker embeds each
/// question once, and a failing embeddings API leaves questions to full-text search.
@Suite(.serialized)
struct HybridRetrievalTests {
    static func environment(_ embeddings: EmbeddingsStandIn) -> [String: String] {
        ["LLM_BASE_URL": "", "OFFLINE_PACE_MS": "0", "EMBEDDINGS_BASE_URL": embeddings.baseURL, "EMBEDDINGS_MODEL": embeddings.model]
    }

    @Test(arguments: StoreKind.allCases) func aQuestionInOtherWordsFindsThePageByItsMeaning(store: StoreKind) async throws {
        let embeddings = EmbeddingsStandIn()
        await embeddings.start()
        defer { embeddings.stop() }
        try await withTestSystem(store: store, postgresServer: .pgvector, environment: Self.environment(embeddings)) { system in
            // The ingest embedded each distinct chunk text once.
            let content = try sampleContent()
            let texts = Set(
                content.courses.flatMap { course in course.lessons.flatMap(\.chunks).map { "\(course.course.id)/\($0.contentHash)" } }
                    + content.landing.flatMap(\.chunks).map { "landing/\($0.contentHash)" }
            )
            #expect(embeddings.textsEmbedded == texts.count)
            let atIngest = embeddings.requests.count

            // No word of it is in the landing pages: only its meaning finds the pricing page.
            let (_, url) = try await StreamTests.ask(system, "Is it expensive?")
            let completed = try #require(try await readEventStream(url).data(of: "completed"))
            let sources = try #require(completed["sources"] as? [[String: Any]])
            #expect(sources.first?["lessonTitle"] as? String == "Plans and Pricing", "\(sources)")
            #expect(sources.allSatisfy { ($0["chunkId"] as? String)?.hasPrefix("landing/") == true })
            // One embedding request for the question, holding only the question.
            #expect(Array(embeddings.requests.dropFirst(atIngest)) == [["Is it expensive?"]])

            // The embeddings API fails: the question is searched by its words, and answered.
            embeddings.setFailing(true)
            let (jobId, wordsURL) = try await StreamTests.ask(system, "Is there a refund policy if I change my mind?")
            let byWords = try #require(try await readEventStream(wordsURL).data(of: "completed"), "\(jobId)")
            let wordSources = try #require(byWords["sources"] as? [[String: Any]])
            #expect(wordSources.first?["lessonTitle"] as? String == "Plans and Pricing", "\(wordSources)")
            #expect(system.worker.log.contains("retrieval by meaning failed"))
            let metrics = try await TestHTTP.get("http://127.0.0.1:\(system.worker.port)/metrics").body
            #expect(metrics.contains("tutorline_retrieval_degraded_total{reason=\"embeddings_unavailable\"} 1"), "\(metrics)")
        }
    }

    /// `EMBEDDINGS_QUERY_PREFIX` and `EMBEDDINGS_DOCUMENT_PREFIX` reach the API, spaces and all:
    /// the ingest's texts carry one, the worker's question the other.
    @Test func instructionPrefixesReachTheEmbeddingsAPI() async throws {
        let embeddings = EmbeddingsStandIn()
        await embeddings.start()
        defer { embeddings.stop() }
        var environment = Self.environment(embeddings)
        environment["EMBEDDINGS_QUERY_PREFIX"] = "query: "
        environment["EMBEDDINGS_DOCUMENT_PREFIX"] = "passage: "
        try await withTestSystem(store: .sqlite, environment: environment) { system in
            let atIngest = embeddings.requests
            #expect(!atIngest.isEmpty && atIngest.joined().allSatisfy { $0.hasPrefix("passage: ") && !$0.hasPrefix("passage:  ") })
            let (jobId, url) = try await StreamTests.ask(system, "Is it expensive?")
            #expect(try await readEventStream(url).data(of: "completed") != nil, "\(jobId)")
            #expect(Array(embeddings.requests.dropFirst(atIngest.count)) == [["query: Is it expensive?"]])
            // Found the vectors stored under the prefixed name: nothing degraded to words ("no_vectors").
            let metrics = try await TestHTTP.get("http://127.0.0.1:\(system.worker.port)/metrics").body
            #expect(metrics.contains("tutorline_retrievals_total") && !metrics.contains("tutorline_retrieval_degraded_total"), "\(metrics)")
        }
    }

    /// Debian's Postgres has no pgvector: asked for embeddings, the ingest and the worker stop at
    /// once and say what to install; without embeddings the same database serves as before.
    @Test func embeddingsOnPostgresWithoutPgvectorStopWithWhatToDo() async throws {
        let embeddings = EmbeddingsStandIn()
        await embeddings.start()
        defer { embeddings.stop() }
        let folder = NSTemporaryDirectory() + "tutorline-pgvector-\(UUID().uuidString.prefix(8))"
        var environment = Self.environment(embeddings)
        environment.merge(["DATABASE_URL": try await TestDatabase.create(), "SPOOL_DIR": "\(folder)/spool", "PORT": "0"]) { _, new in new }
        for arguments in [["ingest", TestSystem.contentDirectory], ["serve"]] {
            let result = try await runToCompletion("tutorline-worker", arguments: arguments, environment: environment)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.output.contains("no pgvector extension"), "\(result.output)")
            #expect(result.output.contains("tutorline-gateway migrate"), "\(result.output)")
        }
        #expect(embeddings.textsEmbedded == 0)
        environment["EMBEDDINGS_MODEL"] = ""
        let plain = try await runToCompletion("tutorline-worker", arguments: ["ingest", TestSystem.contentDirectory], environment: environment)
        #expect(plain.status == 0, "\(plain.output)")
    }
}
