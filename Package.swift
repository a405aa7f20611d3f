// swift-tools-version:6.1
import PackageDescription

// Every target builds in Swift 6 language mode (the tools version's default) with
// strict concurrency; warnings in project code are treated as defects in review.
let package = Package(
    name: "tutorline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tutorline-gateway", targets: ["Gateway"]),
        .executable(name: "tutorline-worker", targets: ["Worker"]),
        .executable(name: "tutorline-stream", targets: ["Stream"]),
        .executable(name: "tutorline-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // MARK: Shared concepts, one module each

        .target(
            name: "WireFormat",
            dependencies: [],
            path: "Shared/WireFormat"
        ),
        .target(
            name: "Jobs",
            dependencies: [
                "WireFormat",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/Jobs"
        ),
        .target(
            name: "SSE",
            dependencies: [],
            path: "Shared/SSE"
        ),
        .target(
            name: "StreamTokens",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/StreamTokens"
        ),
        .target(
            name: "UserAuth",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/UserAuth"
        ),
        .target(
            name: "FileEvents",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/FileEvents"
        ),
        .target(
            name: "EventLog",
            dependencies: [
                "SSE",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/EventLog"
        ),
        .target(
            name: "Spool",
            dependencies: [
                "EventLog", "SSE", "FileEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Spool"
        ),
        .target(
            name: "Knowledge",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Shared/Knowledge"
        ),
        .target(
            name: "EventDelivery",
            dependencies: [
                "Jobs", "EventLog", "SSE",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/EventDelivery"
        ),
        .target(
            name: "PostgresStore",
            dependencies: [
                "Jobs", "Knowledge",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/PostgresStore"
        ),
        .target(
            name: "PostgresEventLog",
            dependencies: [
                "EventLog", "SSE",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/PostgresEventLog"
        ),
        .target(
            name: "SQLiteStore",
            dependencies: [
                "Jobs", "Knowledge", "FileEvents",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/SQLiteStore"
        ),
        .target(
            name: "LLM",
            dependencies: [
                "SSE",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Shared/LLM"
        ),
        .target(
            name: "Embeddings",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Shared/Embeddings"
        ),
        .target(
            name: "Retrieval",
            dependencies: [
                "Knowledge", "Embeddings",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Shared/Retrieval"
        ),
        .target(
            name: "Assistant",
            dependencies: [
                "Jobs", "Knowledge", "LLM", "EventLog", "Retrieval",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Shared/Assistant"
        ),
        .target(
            name: "Settings",
            dependencies: [
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Settings"
        ),
        .target(
            name: "Observability",
            dependencies: [
                "WireFormat",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Shared/Observability"
        ),
        .target(
            name: "Questions",
            dependencies: [
                "Jobs", "Knowledge",
            ],
            path: "Shared/Questions"
        ),
        .target(
            name: "HTTPSupport",
            dependencies: [
                "WireFormat", "Jobs", "StreamTokens",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Shared/HTTPSupport"
        ),
        .target(
            name: "ServiceSupport",
            dependencies: [
                "Jobs", "Knowledge", "HTTPSupport", "PostgresStore", "SQLiteStore", "StreamTokens", "EventLog", "Spool", "PostgresEventLog", "Observability", "Settings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Shared/ServiceSupport"
        ),

        // MARK: Services, routes and wiring only

        .executableTarget(
            name: "Gateway",
            dependencies: [
                "WireFormat", "Jobs", "Knowledge", "Questions", "StreamTokens", "UserAuth", "HTTPSupport", "ServiceSupport", "Settings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Services/Gateway",
            // Served as they are, from the binary: no file to ship beside it.
            resources: [
                .embedInCode("Public/openapi.yaml"), .embedInCode("Public/tutorline-client.js"), .embedInCode("Public/tutorline-client.d.ts"),
            ]
        ),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Jobs", "Knowledge", "EventLog", "LLM", "Embeddings", "Retrieval", "Assistant", "HTTPSupport", "ServiceSupport", "Settings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/Worker"
        ),
        .executableTarget(
            name: "Stream",
            dependencies: [
                "Jobs", "EventLog", "EventDelivery", "StreamTokens", "HTTPSupport", "ServiceSupport", "Settings",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Services/Stream"
        ),

        // MARK: Benchmarks

        .executableTarget(
            name: "Bench",
            dependencies: [
                "TestSupport", "SSE", "EventLog", "Spool", "PostgresEventLog", "StreamTokens", "Knowledge", "Embeddings", "Retrieval",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/Bench"
        ),

        // MARK: Tests

        .target(
            name: "TestSupport",
            dependencies: [
                "Jobs", "Knowledge", "EventLog", "PostgresStore", "SQLiteStore", "SSE", "UserAuth", "Embeddings",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "SSE", "StreamTokens", "UserAuth", "EventLog", "Spool", "LLM", "Assistant", "Jobs", "Knowledge", "Questions", "EventDelivery", "PostgresStore", "ServiceSupport", "HTTPSupport", "TestSupport", "Settings",
                "Embeddings", "Retrieval",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "Tests/UnitTests"
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: [
                "Jobs", "Knowledge", "PostgresStore", "EventLog", "Spool", "PostgresEventLog", "SSE", "TestSupport", "Retrieval",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/StoreTests"
        ),
        .testTarget(
            name: "RouteTests",
            dependencies: [
                "Gateway", "Settings", "UserAuth",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/RouteTests"
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport", "EventLog", "StreamTokens", "SSE", "UserAuth", "Knowledge",
                // The executables these suites start (never imported): built before the suites run.
                "Gateway", "Worker", "Stream",
            ],
            path: "Tests/EndToEndTests"
        ),
    ]
)
