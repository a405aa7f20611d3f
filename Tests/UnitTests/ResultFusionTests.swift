import AsyncHTTPClient
import Embeddings
import Knowledge
import Logging
import Retrieval
import Settings
import TestSupport
import Testing

@Suite struct ResultFusionTests {
    static func chunk(_ id: String, _ rank: Double) -> RetrievedChunk {
        RetrievedChunk(chunkId: id, lessonId: id, lessonTitle: id, heading: "", body: "", rank: rank)
    }

    /// A chunk far closer in meaning than the rest stays first although the words barely found it;
    /// rank fusion, which sees only positions, puts the chunk both searches found first.
    @Test func relativeScoresKeepAClearWinnerInMeaningFirst() {
        let meaning = [Self.chunk("pricing", 0.82), Self.chunk("faq", 0.41), Self.chunk("catalog", 0.40)]
        let words = [Self.chunk("faq", 7.0), Self.chunk("catalog", 6.5), Self.chunk("pricing", 1.0)]
        let relative = RelativeScoreFusion(alpha: 0.75).fuse(words: words, meaning: meaning, limit: 3)
        #expect(relative.map(\.chunkId) == ["pricing", "faq", "catalog"])
        // pricing: 0.75 × 1 + 0.25 × 0; faq: 0.75 × (0.01 / 0.42) + 0.25 × 1.
        #expect(abs(relative[0].rank - 0.75) < 1e-9)
        #expect(abs(relative[1].rank - (0.75 * 0.01 / 0.42 + 0.25)) < 1e-9)
        #expect(RankFusion().fuse(words: words, meaning: meaning, limit: 3).first?.chunkId == "faq")
    }

    /// When meaning cannot tell the candidates apart, the words decide; a chunk one search did not
    /// find counts 0 there; the limit holds.
    @Test func aTieInMeaningIsBrokenByTheWords() {
        let meaning = [Self.chunk("a", 0.50), Self.chunk("b", 0.50)]
        let words = [Self.chunk("b", 3.0), Self.chunk("c", 1.0)]
        let fused = RelativeScoreFusion().fuse(words: words, meaning: meaning, limit: 2)
        #expect(fused.map(\.chunkId) == ["b", "a"])
        #expect(abs(fused[0].rank - 1.0) < 1e-9 && abs(fused[1].rank - 0.75) < 1e-9)
        #expect(RelativeScoreFusion().fuse(words: [], meaning: [], limit: 5).isEmpty)
        #expect(RelativeScoreFusion().fuse(words: words, meaning: [], limit: 5).map(\.chunkId) == ["b", "c"])
    }

    /// Instruction prefixes go before questions and before the material, each its own; the
    /// document prefix is part of what the vectors are stored under.
    @Test func prefixesGoBeforeQuestionsAndMaterialAndNameTheVectors() async throws {
        let standIn = EmbeddingsStandIn()
        await standIn.start()
        defer { standIn.stop() }
        var configuration = EmbeddingsClient.Configuration(baseURL: standIn.baseURL, apiKey: nil, model: standIn.model)
        let plain = EmbeddingsClient(http: .shared, configuration: configuration, logger: Logger(label: "test"))
        #expect(plain.model == standIn.model)
        _ = try await plain.embedQuestion("What does it cost?")
        #expect(standIn.requests.last == ["What does it cost?"])

        configuration.queryPrefix = "query: "
        configuration.documentPrefix = "passage: "
        let prefixed = EmbeddingsClient(http: .shared, configuration: configuration, logger: Logger(label: "test"))
        let question = try await prefixed.embedQuestion("What does it cost?")
        #expect(standIn.requests.last == ["query: What does it cost?"])
        #expect(question == EmbeddingsStandIn.vector("query: What does it cost?"))
        _ = try await prefixed.embed(["Prices", "Refunds"])
        #expect(standIn.requests.last == ["passage: Prices", "passage: Refunds"])
        #expect(prefixed.model != plain.model && prefixed.model.hasPrefix(standIn.model) && prefixed.model.contains("passage: "))
    }
}

@Suite struct PrefixSettingTests {
    /// A prefix's trailing space is part of it ("query: "): the environment's value is not trimmed.
    @Test func aSettingKeepsItsSpaces() {
        let setting = Setting("EMBEDDINGS_QUERY_PREFIX", default: "", "test")
        #expect(SettingsReader(environment: ["EMBEDDINGS_QUERY_PREFIX": "query: "]).string(setting) == "query: ")
        #expect(SettingsReader(environment: [:]).string(setting) == "")
    }
}
