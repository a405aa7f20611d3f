import Foundation
import Knowledge
import Logging
import PostgresNIO
import PostgresStore
import Retrieval
import TestSupport
import Testing

/// Vectors beside the chunks and hybrid retrieval, against each store kind (Postgres with
/// pgvector), with the deterministic embeddings stand-in.
@Suite struct EmbeddingStoreTests {
    static let kinds = StoreKind.allCases
    static let logger = Logger(label: "test")

    func index(_ store: any KnowledgeStore, with embedder: EmbeddingsStandIn) async throws -> EmbeddingIndexer.Report {
        try await EmbeddingIndexer(knowledge: store, embedder: embedder, pageSize: 2, logger: Self.logger).run()
    }

    @Test(arguments: kinds) func eachChunkTextIsEmbeddedOnceAndAChangeOfModelReEmbedsAll(kind: StoreKind) async throws {
        try await kind.withVectorKnowledgeStore { store in
            let embedder = EmbeddingsStandIn()
            _ = try await store.ingest(KnowledgeStoreTests.tinyContent())
            // Pages of two: three texts take two rounds.
            #expect(try await index(store, with: embedder) == EmbeddingIndexer.Report(embedded: 3, pruned: 0))
            #expect(embedder.textsEmbedded == 3 && embedder.requests.count == 2)
            #expect(try await index(store, with: embedder) == EmbeddingIndexer.Report(embedded: 0, pruned: 0))
            #expect(embedder.textsEmbedded == 3)

            // One lesson changed: only its text is embedded, and its old vector goes.
            _ = try await store.ingest(KnowledgeStoreTests.tinyContent(lessonBody: "## Sampling\n\nTemperature controls randomness."))
            #expect(try await index(store, with: embedder) == EmbeddingIndexer.Report(embedded: 1, pruned: 1))
            #expect(embedder.requests.last?.first?.contains("Temperature controls randomness.") == true)

            // Another model: everything once more, the old model's vectors deleted.
            let other = EmbeddingsStandIn(model: "another-model")
            #expect(try await index(store, with: other) == EmbeddingIndexer.Report(embedded: 3, pruned: 3))
            #expect(try await index(store, with: other) == EmbeddingIndexer.Report(embedded: 0, pruned: 0))
        }
    }

    @Test(arguments: kinds) func theNearestChunksAreTheClosestInMeaning(kind: StoreKind) async throws {
        try await kind.withVectorKnowledgeStore { store in
            let embedder = EmbeddingsStandIn()
            _ = try await store.ingest(try sampleContent())
            _ = try await index(store, with: embedder)
            let question = try #require(EmbeddingVector(EmbeddingsStandIn.vector("Is it expensive?")))
            let nearest = try await store.nearest(to: question, model: embedder.model, scope: .landing, limit: 4)
            #expect(nearest.count == 4)
            #expect(nearest.first?.lessonTitle == "Plans and Pricing")
            #expect(nearest.allSatisfy { $0.lessonId.hasPrefix("landing/") })
            #expect(zip(nearest, nearest.dropFirst()).allSatisfy { $0.rank >= $1.rank })
            // The similarity is the cosine with the stored vector.
            let best = try #require(nearest.first)
            let stored = try #require(EmbeddingVector(EmbeddingsStandIn.vector(Chunk.embeddingText(heading: best.heading, body: best.body))))
            #expect(abs(best.rank - Double(question.similarity(to: stored))) < 1e-4)
            // Another model's vectors, or another size of vector, are never compared.
            #expect(try await store.nearest(to: question, model: "another-model", scope: .landing, limit: 4).isEmpty)
            let longer = try #require(EmbeddingVector([Float](repeating: 1, count: 65)))
            #expect(try await store.nearest(to: longer, model: embedder.model, scope: .landing, limit: 4).isEmpty)
        }
    }

    @Test(arguments: kinds) func hybridRetrievalFindsWhatTheWordsCannot(kind: StoreKind) async throws {
        try await kind.withVectorKnowledgeStore { store in
            let embedder = EmbeddingsStandIn()
            _ = try await store.ingest(try sampleContent())
            _ = try await index(store, with: embedder)
            let hybrid = Retriever(knowledge: store, embedder: embedder, logger: Self.logger)
            // No word of it is in the pages ("is" and "it" are stop words): words alone find nothing.
            #expect(try await store.search("Is it expensive?", scope: .landing, limit: 5).isEmpty)
            let found = try await hybrid.retrieve("Is it expensive?", scope: .landing, limit: 5)
            #expect(found.first?.lessonTitle == "Plans and Pricing")
            #expect(embedder.requests.last == ["Is it expensive?"])

            // Both searches' best 20, fused by relative scores: the top is found by both.
            let both = try await hybrid.retrieve("What does the yearly plan cost?", scope: .landing, limit: 5)
            let words = try await store.search("What does the yearly plan cost?", scope: .landing, limit: 20)
            let meaning = try await store.nearest(
                to: try #require(EmbeddingVector(EmbeddingsStandIn.vector("What does the yearly plan cost?"))), model: embedder.model, scope: .landing, limit: 20
            )
            let top = try #require(both.first)
            #expect(words.contains { $0.chunkId == top.chunkId } && meaning.contains { $0.chunkId == top.chunkId })
            #expect(both.map(\.chunkId) == RelativeScoreFusion(alpha: 0.75).fuse(words: words, meaning: meaning, limit: 5).map(\.chunkId))
            #expect(top.rank > 0.75 && top.rank <= 1, "the top of both searches or near it: more than meaning alone can give")
        }
    }

    @Test(arguments: kinds) func aFailingEmbeddingsAPILeavesTheQuestionToFullText(kind: StoreKind) async throws {
        try await kind.withVectorKnowledgeStore { store in
            let embedder = EmbeddingsStandIn()
            _ = try await store.ingest(try sampleContent())
            _ = try await index(store, with: embedder)
            embedder.setFailing(true)
            let hybrid = Retriever(knowledge: store, embedder: embedder, logger: Self.logger)
            let question = "How do I cancel my plan?"
            let degraded = try await hybrid.retrieve(question, scope: .landing, limit: 5)
            #expect(!degraded.isEmpty)
            #expect(degraded.map(\.chunkId) == (try await store.search(question, scope: .landing, limit: 5)).map(\.chunkId))
            // It was asked, and its failure did not fail the search.
            #expect(embedder.requests.last == [question])
        }
    }

    /// Content ingested without the model: no vectors to search, so the words decide, in hybrid
    /// mode and in vector mode alike.
    @Test(arguments: kinds) func aScopeWithoutVectorsIsSearchedByWords(kind: StoreKind) async throws {
        try await kind.withVectorKnowledgeStore { store in
            let embedder = EmbeddingsStandIn()
            _ = try await store.ingest(try sampleContent())
            let question = "How do I cancel my plan?"
            let byWords = try await store.search(question, scope: .landing, limit: 5).map(\.chunkId)
            #expect(!byWords.isEmpty)
            for mode in [RetrievalMode.hybrid, .vector] {
                let found = try await Retriever(knowledge: store, embedder: embedder, mode: mode, logger: Self.logger).retrieve(question, scope: .landing, limit: 5)
                #expect(found.map(\.chunkId) == byWords, "\(mode)")
            }
            #expect(embedder.requests.count == 2)
        }
    }

    /// Debian's Postgres has no pgvector: migrating still works (full-text search as before), and
    /// a store asked for vectors says what to install.
    @Test func postgresWithoutPgvectorSaysWhatToDo() async throws {
        try await withPostgresClient { client in
            try await PostgresJobStore(client: client, logger: Self.logger).migrate()
            let store = PostgresKnowledgeStore(client: client, logger: Self.logger)
            _ = try await store.ingest(KnowledgeStoreTests.tinyContent())
            #expect(try await store.search("yearly plan", scope: .landing, limit: 5).first?.lessonTitle == "Pricing")
            let error = await #expect(throws: KnowledgeStoreError.self) { try await store.checkVectorSupport() }
            #expect(error?.code == .vectorsUnavailable)
            #expect(error?.message.contains("pgvector") == true)
            #expect(error?.message.contains("tutorline-gateway migrate") == true)
        }
    }
}
