import EventLog
import Foundation
import UserAuth

/// The three real executables running against one fresh Postgres database, a temporary spool,
/// and an LLM stand-in.
public struct TestSystem: Sendable {
    public let llm: LLMStandIn
    public let gateway: ServiceProcess
    public let worker: ServiceProcess
    public let stream: ServiceProcess
    public let databaseURL: String
    public let spoolDir: String
    public let workDir: String
    public let streamTokenSecret: String
    public let authSecret: String
    /// The environment every service got.
    public let environment: [String: String]

    public var gatewayURL: String { "http://127.0.0.1:\(gateway.port)" }
    public var streamURL: String { "http://127.0.0.1:\(stream.port)" }

    /// Starts gateway (which migrates), then worker and stream.
    ///
    /// - Parameter store: `.postgres` (a fresh database), or `.sqlite` run as the embedded default:
    ///   a fresh file, and the secrets left for the services to generate beside it.
    /// - Parameter eventLog: `.postgres` runs the system as instances without a shared disk would:
    ///   `EVENT_LOG=postgres`, and the worker and the stream service each given a spool folder of
    ///   their own, which must stay empty.
    /// - Parameter postgresServer: `.pgvector` for a system with embeddings on Postgres.
    public static func start(
        llm: LLMStandIn, store: StoreKind = .postgres, eventLog: EventLogKind = .spool, postgresServer: TestDatabase.Server = .standard,
        environment extra: [String: String] = [:]
    ) async throws -> TestSystem {
        let workDir = NSTemporaryDirectory() + "tutorline-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let databaseURL = store == .postgres ? try await TestDatabase.create(on: postgresServer) : "sqlite:\(workDir)/db/tutorline.sqlite"
        // A benchmark may put the spool elsewhere (a tmpfs) through the environment.
        let spoolDir = extra["SPOOL_DIR"] ?? workDir + "/spool"
        var streamTokenSecret = "stream-secret-" + UUID().uuidString
        var authSecret = "auth-secret-" + UUID().uuidString
        var environment = [
            "DATABASE_URL": databaseURL,
            "SPOOL_DIR": spoolDir,
            "LLM_BASE_URL": llm.baseURL,
            "LLM_MODEL": "stand-in",
            "LOG_LEVEL": "debug",
            "JOB_RETRY_BASE_MS": "50",
            "STREAM_HEARTBEAT_SECONDS": "1",
            // One test user asks many questions, and how fast they are answered depends on the
            // machine's load: the per-user limits are off, but where a test turns them on.
            "USER_RATE_LIMIT": "0",
            "USER_MAX_ACTIVE_JOBS": "0",
        ]
        let ports = (gateway: freePort(), worker: freePort(), stream: freePort())
        // Postgres runs as a deployment would (streamUrl a path on the same origin); SQLite as the
        // embedded default, where streamUrl names the stream service.
        environment["STREAM_PUBLIC_URL"] = store == .postgres ? "" : "http://127.0.0.1:\(ports.stream)"
        environment["CORS_ORIGINS"] = "http://127.0.0.1:\(ports.gateway)"
        if store == .postgres {
            environment["STREAM_TOKEN_SECRET"] = streamTokenSecret
            environment["AUTH_JWT_SECRET"] = authSecret
        }
        if eventLog == .postgres { environment["EVENT_LOG"] = "postgres" }
        environment.merge(extra) { _, new in new }
        // No disk shared: each service its own folder, where nothing may be written.
        func ownDisk(_ name: String) -> [String: String] {
            guard eventLog == .postgres, extra["SPOOL_DIR"] == nil else { return environment }
            return environment.merging(["SPOOL_DIR": "\(workDir)/\(name)-disk"]) { _, new in new }
        }
        let gateway = try await ServiceProcess("tutorline-gateway", environment: environment, port: ports.gateway, logDirectory: workDir)
        if store == .sqlite {
            streamTokenSecret = try String(contentsOfFile: "\(workDir)/db/stream-token-secret", encoding: .utf8)
            authSecret = try String(contentsOfFile: "\(workDir)/db/auth-jwt-secret", encoding: .utf8)
        }
        // The gateway has migrated; load the repository's sample course and landing pages.
        let ingest = try await runToCompletion("tutorline-worker", arguments: ["ingest", Self.contentDirectory], environment: environment)
        guard ingest.status == 0 else { throw ServiceProcess.StartFailure(description: "ingest failed:\n\(ingest.output)") }
        let worker = try await ServiceProcess("tutorline-worker", environment: ownDisk("worker"), port: ports.worker, logDirectory: workDir)
        let stream = try await ServiceProcess("tutorline-stream", environment: ownDisk("stream"), port: ports.stream, logDirectory: workDir)
        return TestSystem(
            llm: llm, gateway: gateway, worker: worker, stream: stream, databaseURL: databaseURL, spoolDir: spoolDir, workDir: workDir,
            streamTokenSecret: streamTokenSecret, authSecret: authSecret, environment: environment
        )
    }

    public func stop() async {
        await gateway.stop()
        await worker.stop()
        await stream.stop()
    }

    /// A user's bearer token, signed like the auth provider would.
    public func userToken(_ subject: String) async throws -> String {
        try await UserTokenVerifier(hmacSecret: authSecret).issue(subject: subject)
    }

    /// The full URL of a 202's `streamUrl` (a path on the stream service, or already absolute).
    public func absolute(_ streamUrl: String) -> String {
        streamUrl.hasPrefix("http") ? streamUrl : streamURL + streamUrl
    }

    /// The repository's `content/` folder.
    /// The files in the spool folders (the shared one, and in Postgres mode each service's own).
    public func spoolFiles() -> [String] {
        [spoolDir, workDir + "/worker-disk", workDir + "/stream-disk"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).map { folder + "/" + $0 }
        }
    }

    public static var contentDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("content").path
    }

    /// How many requests the LLM stand-in received for `question`.
    public func llmRequests(for question: String) -> Int {
        llm.requests.filter { $0.question == question }.count
    }

    /// Every log line the three services wrote.
    public var logs: String { gateway.log + worker.log + stream.log }
}

/// Runs `body` with a started system and an LLM stand-in, stopping both afterwards.
public func withTestSystem<T: Sendable>(
    llm: LLMStandIn = LLMStandIn(),
    store: StoreKind = .postgres,
    eventLog: EventLogKind = .spool,
    postgresServer: TestDatabase.Server = .standard,
    environment: [String: String] = [:],
    _ body: (TestSystem) async throws -> T
) async throws -> T {
    try await llm.start()
    defer { llm.stop() }
    let system = try await TestSystem.start(llm: llm, store: store, eventLog: eventLog, postgresServer: postgresServer, environment: environment)
    do {
        let value = try await body(system)
        if eventLog == .postgres {
            // The whole point of the mode: the answer travelled through the database only.
            let files = system.spoolFiles()
            guard files.isEmpty else { throw ServiceProcess.StartFailure(description: "EVENT_LOG=postgres wrote to disk: \(files)") }
        }
        // Every start is a chance for a first statement to race the pool's start: postgres-nio
        // says so in a warning, which no service may print.
        let early = system.logs.split(separator: "\n").filter { $0.contains("hasn't been called yet") }
        guard early.isEmpty else { throw ServiceProcess.StartFailure(description: "a statement was leased before the Postgres pool ran:\n\(early.joined(separator: "\n"))") }
        await system.stop()
        // Kept when the body threw, for its logs. Left behind, thousands of spool files slow the
        // file system of a machine that runs the suite and the benchmarks over and over.
        try? FileManager.default.removeItem(atPath: system.workDir)
        try? FileManager.default.removeItem(atPath: system.spoolDir)
        return value
    } catch {
        await system.stop()
        throw error
    }
}
