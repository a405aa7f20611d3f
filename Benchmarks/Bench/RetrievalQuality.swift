import ArgumentParser
import AsyncHTTPClient
import Embeddings
import Foundation
import Knowledge
import Logging
import Retrieval
import Synchronization
import TestSupport

/// Hit rates of full-text, vector and hybrid retrieval on both question sets and both stores,
/// with a real embedding model behind an OpenAI-compatible `/embeddings` API, the time retrieval
/// takes per question, and the cost of exact vector search in a scope of 10,000 chunks.
struct RetrievalQuality: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Retrieval hit rates and time per question with a real embedding model (Benchmarks/embeddings_server.py serves one).",
        discussion: "Postgres needs TEST_PGVECTOR_DATABASE_URL, a server with pgvector (scripts/with-postgres.sh starts one)."
    )

    @Option(help: "The embeddings API base.") var embeddingsURL = "http://127.0.0.1:8090/v1"
    @Option(help: "The embedding model's name.") var model = "all-MiniLM-L6-v2"
    @Option(help: "Put before each question embedded (EMBEDDINGS_QUERY_PREFIX).") var queryPrefix = ""
    @Option(help: "Put before each text of the material embedded (EMBEDDINGS_DOCUMENT_PREFIX).") var documentPrefix = ""
    @Option(help: "Comma-separated: postgres, sqlite.") var stores = "sqlite,postgres"
    @Option(help: "Chunks in the synthetic scope whose exact vector search is timed; 0 skips it.") var scale = 10_000
    @Option(help: "Fusion constants k compared beside the kept one (60).") var compareK = "10,30,100"
    @Option(help: "Weights of the search by meaning in relative score fusion, compared.") var compareAlpha = "0.5,0.75"
    @Flag(help: "Print the questions whose page did not come first, after each row.") var showMisses = false

    static let sets = ["retrieval-questions.tsv", "retrieval-questions-paraphrased.tsv"]

    func run() async throws {
        let logger = Logger(label: "bench")
        var configuration = EmbeddingsClient.Configuration(baseURL: embeddingsURL, apiKey: nil, model: model)
        configuration.timeout = .seconds(120)
        configuration.queryPrefix = queryPrefix
        configuration.documentPrefix = documentPrefix
        let embedder = EmbeddingsClient(http: .shared, configuration: configuration, logger: logger)
        let questionSets = try Self.sets.map { ($0, try RetrievalQuestion.load($0)) }
        let kinds = try stores.split(separator: ",").map { name in
            guard let kind = StoreKind(rawValue: String(name)) else { throw ValidationError("--stores: postgres or sqlite") }
            return kind
        }
        let variants: [(String, any ResultFusion)] = compareK.split(separator: ",").compactMap { Double($0) }.map { ("rank fusion, k = \(Int($0))", RankFusion(k: $0)) }
            + compareAlpha.split(separator: ",").compactMap { Double($0) }.map { ("relative score fusion, alpha = \($0)", RelativeScoreFusion(alpha: $0)) }
        // The modes' rows ask the API (and are timed); the fusion variants reuse their vectors.
        let remembering = RememberingEmbedder(upstream: embedder)
        for kind in kinds {
            try await kind.withVectorKnowledgeStore { store in
                _ = try await store.ingest(try sampleContent())
                let clock = ContinuousClock()
                let started = clock.now
                let report = try await EmbeddingIndexer(knowledge: store, embedder: embedder, logger: logger).run()
                print("\(kind.rawValue): sample content indexed: \(report) in \(Self.milliseconds(clock.now - started)) ms")
                print("| store | set | mode | questions | hit@1 | hit@3 | retrieval p50 | p99 |")
                print("|---|---|---|---|---|---|---|---|")
                for (file, questions) in questionSets {
                    for mode in RetrievalMode.allCases {
                        let retriever = Retriever(knowledge: store, embedder: remembering, mode: mode, logger: logger)
                        let result = try await Self.measure(questions, retriever: retriever)
                        print("| \(kind.rawValue) | \(file) | \(mode.rawValue) | \(result.row) |")
                        if showMisses { for miss in result.misses { print("    miss: \(miss)") } }
                    }
                    for (name, fusion) in variants {
                        let retriever = Retriever(knowledge: store, embedder: remembering.recalling, fusion: fusion, logger: logger)
                        let result = try await Self.measure(questions, retriever: retriever)
                        print("| \(kind.rawValue) | \(file) | hybrid, \(name) | \(result.row(times: false)) |")
                    }
                }
            }
            if scale > 0 { try await measureScale(kind) }
        }
    }

    struct Result {
        var questions: Int
        var atOne = 0
        var atThree = 0
        var times: [Duration] = []
        /// The questions whose expected page did not come first, with what did.
        var misses: [String] = []

        var row: String { row(times: true) }

        /// The table's columns; the times left out where the question's embedding was remembered.
        func row(times withTimes: Bool) -> String {
            let sorted = times.sorted()
            func at(_ fraction: Double) -> String {
                RetrievalQuality.milliseconds(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) + " ms"
            }
            return "\(questions) | \(atOne) (\(String(format: "%.2f", Double(atOne) / Double(questions)))) | \(atThree) (\(String(format: "%.2f", Double(atThree) / Double(questions)))) | " + (withTimes ? "\(at(0.5)) | \(at(0.99))" : "– | –")
        }
    }

    static func measure(_ questions: [RetrievalQuestion], retriever: Retriever) async throws -> Result {
        var result = Result(questions: questions.count)
        let clock = ContinuousClock()
        for question in questions {
            let started = clock.now
            // Five chunks, as the worker asks for.
            let found = try await retriever.retrieve(question.question, scope: question.scope, limit: 5)
            result.times.append(clock.now - started)
            let position = question.position(in: found)
            if position == 0 { result.atOne += 1 }
            if let position, position < 3 { result.atThree += 1 }
            if position != 0 {
                result.misses.append("\(question.question) → \(found.first?.lessonTitle ?? "nothing") (expected \(question.expectedTitle))")
            }
        }
        return result
    }

    /// A scope of `scale` chunks with random vectors of MiniLM's size: the time of one exact
    /// search (`nearest`), and of a hybrid retrieval without the embedding request.
    func measureScale(_ kind: StoreKind) async throws {
        // Sections of 80 words drawn from a vocabulary of 5,000 (Zipf-like: word i about as often
        // as 1/i), so that terms have the spread of document counts real text has.
        let lessons = (0..<(scale / 100)).map { lesson in
            LessonContent(
                id: "scale/\(lesson)", title: "Lesson \(lesson)", position: lesson,
                markdown: (0..<100).map { "## Section \($0)\n\n\(Self.sentence(80))." }.joined(separator: "\n\n")
            )
        }
        let course = Course(id: UUID(), slug: "scale", title: "Scale")
        let embedder = RandomEmbedder(dimensions: 384)
        try await kind.withVectorKnowledgeStore { store in
            let clock = ContinuousClock()
            var started = clock.now
            let report = try await store.ingest(KnowledgeContent(courses: [CourseContent(course: course, lessons: lessons)], landing: []))
            let ingested = clock.now - started
            started = clock.now
            _ = try await EmbeddingIndexer(knowledge: store, embedder: embedder, logger: Logger(label: "bench")).run()
            print("\(kind.rawValue): \(report.chunksWritten) chunks ingested in \(Self.milliseconds(ingested)) ms, vectors stored in \(Self.milliseconds(clock.now - started)) ms")
            var nearest: [Duration] = []
            var hybrid: [Duration] = []
            let retriever = Retriever(knowledge: store, embedder: embedder, logger: Logger(label: "bench"))
            for _ in 0..<100 {
                guard let vector = EmbeddingVector(try await embedder.embed(["q"])[0]) else { continue }
                started = clock.now
                _ = try await store.nearest(to: vector, model: embedder.model, scope: .course(course.id), limit: 20)
                nearest.append(clock.now - started)
                started = clock.now
                _ = try await retriever.retrieve(Self.sentence(8), scope: .course(course.id), limit: 5)
                hybrid.append(clock.now - started)
            }
            for (name, times) in [("vector search (nearest, 20; Postgres walks the HNSW index here)", nearest), ("hybrid retrieval, embedding excluded", hybrid)] {
                let sorted = times.sorted()
                print("\(kind.rawValue), \(report.chunksWritten) chunks: \(name): p50 \(Self.milliseconds(sorted[sorted.count / 2])) ms, p99 \(Self.milliseconds(sorted[sorted.count * 99 / 100])) ms")
            }
        }
    }

    /// `count` words of the synthetic vocabulary.
    static func sentence(_ count: Int) -> String {
        (0..<count).map { _ in "w\(Int(pow(5000, Double.random(in: 0..<1))))" }.joined(separator: " ")
    }

    static func milliseconds(_ duration: Duration) -> String {
        Latency.format(FanoutFigures.milliseconds(duration))
    }
}

/// Random unit vectors: the cost of vector search does not depend on what the vectors mean.
struct RandomEmbedder: Embedder {
    let dimensions: Int
    var model: String { "random-\(dimensions)" }

    func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        texts.map { _ in (0..<dimensions).map { _ in Float.random(in: -1...1) } }
    }
}

/// Asks its upstream embedder every time and keeps the questions' vectors, for ``recalling`` to
/// reuse (the material's are stored by the ingest, and with a document prefix differ from a
/// question's of the same text).
final class RememberingEmbedder: Embedder {
    let upstream: any Embedder
    let memory = Mutex<[String: [Float]]>([:])

    init(upstream: any Embedder) {
        self.upstream = upstream
    }

    var model: String { upstream.model }

    func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
        try await upstream.embed(texts)
    }

    func embedQuestion(_ question: String) async throws(EmbeddingsError) -> [Float] {
        let vector = try await upstream.embedQuestion(question)
        memory.withLock { $0[question] = vector }
        return vector
    }

    /// Answers questions from the kept vectors; asks upstream only for one never embedded.
    var recalling: Recalling { Recalling(source: self) }

    struct Recalling: Embedder {
        let source: RememberingEmbedder
        var model: String { source.model }

        func embed(_ texts: [String]) async throws(EmbeddingsError) -> [[Float]] {
            try await source.upstream.embed(texts)
        }

        func embedQuestion(_ question: String) async throws(EmbeddingsError) -> [Float] {
            if let known = source.memory.withLock({ $0[question] }) { return known }
            return try await source.embedQuestion(question)
        }
    }
}
