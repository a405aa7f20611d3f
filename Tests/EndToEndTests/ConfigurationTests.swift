import Foundation
import TestSupport
import Testing
import UserAuth

/// Each executable lists its variables under `--help`, and a bad or missing setting stops it at
/// start with one line naming the variable and a non-zero exit.
@Suite struct ConfigurationTests {
    static let postgres = "postgres://tutorline@127.0.0.1:9/none?sslmode=disable"

    @Test(arguments: [
        ("tutorline-gateway", ["DATABASE_URL": "mysql://nope"], "DATABASE_URL"),
        ("tutorline-gateway", ["DATABASE_URL": postgres, "AUTH_JWT_SECRET": String(repeating: "a", count: 40)], "STREAM_TOKEN_SECRET"),
        ("tutorline-gateway", ["DATABASE_URL": postgres, "STREAM_TOKEN_SECRET": String(repeating: "s", count: 40)], "AUTH_JWT_SECRET"),
        ("tutorline-gateway", ["ANON_RATE_LIMIT": "lots"], "ANON_RATE_LIMIT"),
        ("tutorline-stream", ["DATABASE_URL": postgres, "STREAM_TOKEN_SECRET": "short"], "STREAM_TOKEN_SECRET"),
        ("tutorline-stream", ["STREAM_TIMEOUT_SECONDS": "-1"], "STREAM_TIMEOUT_SECONDS"),
        ("tutorline-worker", ["PORT": "http"], "PORT"),
        ("tutorline-worker", ["LLM_BASE_URL": "ftp://example"], "LLM_BASE_URL"),
        ("tutorline-worker", ["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        ("tutorline-worker", ["SPOOL_RETENTION_HOURS": "-1"], "SPOOL_RETENTION_HOURS"),
        ("tutorline-gateway", ["MAX_CONNECTIONS": "none"], "MAX_CONNECTIONS"),
        ("tutorline-gateway", ["HTTP_IDLE_TIMEOUT_SECONDS": "0"], "HTTP_IDLE_TIMEOUT_SECONDS"),
        ("tutorline-stream", ["STREAM_MAX_PER_TOKEN": "0"], "STREAM_MAX_PER_TOKEN"),
        ("tutorline-stream", ["STREAM_STALL_SECONDS": "forever"], "STREAM_STALL_SECONDS"),
        ("tutorline-gateway", ["DATABASE_URL": "postgres://tutorline:ab/cd@127.0.0.1:9/none"], "DATABASE_URL"),
        ("tutorline-worker", ["DATABASE_URL": "postgres://tutorline:one@127.0.0.1:9/none", "DATABASE_PASSWORD": "two"], "DATABASE_PASSWORD"),
        ("tutorline-gateway", ["DATABASE_URL": postgres, "STREAM_TOKEN_SECRET": String(repeating: "s", count: 40), "AUTH_JWT_SECRET": "short"], "AUTH_JWT_SECRET"),
        ("tutorline-worker", ["EVENT_LOG": "redis"], "EVENT_LOG"),
        ("tutorline-stream", ["EVENT_LOG": "postgres"], "EVENT_LOG"),
        ("tutorline-stream", ["DATABASE_URL": postgres, "STREAM_TOKEN_SECRET": String(repeating: "s", count: 40), "EVENT_LOG": "postgres", "DATABASE_LISTEN_URL": "mysql://x"], "DATABASE_LISTEN_URL"),
        ("tutorline-stream", ["STREAM_EVENT_LOG_LOST_SECONDS": "0"], "STREAM_EVENT_LOG_LOST_SECONDS"),
        ("tutorline-worker", ["DELTA_PACE_MS": "soon"], "DELTA_PACE_MS"),
        ("tutorline-worker", ["LLM_BASE_URL": "", "EMBEDDINGS_MODEL": "text-embedding-3-small"], "EMBEDDINGS_BASE_URL"),
        ("tutorline-worker", ["EMBEDDINGS_MODEL": "m", "EMBEDDINGS_BASE_URL": "ftp://x"], "EMBEDDINGS_BASE_URL"),
        ("tutorline-worker", ["EMBEDDINGS_MODEL": "m", "EMBEDDINGS_BASE_URL": "http://x", "EMBEDDINGS_TIMEOUT_SECONDS": "0"], "EMBEDDINGS_TIMEOUT_SECONDS"),
        ("tutorline-worker", ["RETRIEVAL_MODE": "magic"], "RETRIEVAL_MODE"),
        ("tutorline-worker", ["EMBEDDINGS_MODEL": "m", "EMBEDDINGS_BASE_URL": "http://x", "EMBEDDINGS_DOCUMENT_PREFIX": String(repeating: "p", count: 201)], "EMBEDDINGS_DOCUMENT_PREFIX"),
    ])
    func aBadSettingStopsTheProcessWithOneLine(executable: String, environment: [String: String], variable: String) async throws {
        let folder = NSTemporaryDirectory() + "tutorline-config-\(UUID().uuidString.prefix(8))"
        var env = ["DATABASE_URL": "sqlite:\(folder)/db.sqlite", "SPOOL_DIR": "\(folder)/spool", "PORT": "0"]
        env.merge(environment) { _, new in new }
        let result = try await runToCompletion(executable, arguments: [], environment: env)
        #expect(result.status != 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "\(result.output)")
        #expect(result.output.contains(variable), "\(result.output)")
    }

    @Test func theTokenCommandPrintsABearerTokenTheGatewayAccepts() async throws {
        let secret = String(repeating: "k", count: 40)
        let result = try await runToCompletion("tutorline-gateway", arguments: ["token", "--sub", "alice"], environment: ["AUTH_JWT_SECRET": secret])
        #expect(result.status == 0, "\(result.output)")
        let token = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await UserTokenVerifier(hmacSecret: secret).verify(bearer: token).sub.value == "alice")
        let missing = try await runToCompletion(
            "tutorline-gateway", arguments: ["token", "--sub", "alice"], environment: ["DATABASE_URL": Self.postgres]
        )
        #expect(missing.status != 0 && missing.output.contains("AUTH_JWT_SECRET"))
    }

    @Test(arguments: [
        ("tutorline-gateway", ["DATABASE_URL", "STREAM_TOKEN_SECRET", "AUTH_JWT_SECRET", "CORS_ORIGINS", "ANON_RATE_LIMIT", "STREAM_PUBLIC_URL", "LOG_FORMAT"]),
        ("tutorline-worker", ["DATABASE_URL", "SPOOL_DIR", "LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL", "WORKER_CONCURRENCY", "JOB_LEASE_SECONDS", "SPOOL_RETENTION_HOURS"]),
        ("tutorline-stream", ["DATABASE_URL", "SPOOL_DIR", "STREAM_TOKEN_SECRET", "STREAM_TOKEN_PREVIOUS_SECRETS", "CORS_ORIGINS", "STREAM_TIMEOUT_SECONDS"]),
    ])
    func helpListsEveryVariableWithItsDefault(executable: String, variables: [String]) async throws {
        let result = try await runToCompletion(executable, arguments: ["--help"], environment: [:])
        #expect(result.status == 0)
        for variable in variables { #expect(result.output.contains(variable), "\(variable) in\n\(result.output)") }
        #expect(result.output.contains("(default: sqlite:.tutorline/tutorline.sqlite)"))
    }
}
