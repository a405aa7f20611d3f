#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Postgres server of a test's own, which the test may stop and start (the shared test server
/// must stay up for the other tests). Uses the binaries `scripts/with-postgres.sh` found.
public final class PrivatePostgres: Sendable {
    public let port: Int
    let dataDirectory: String
    let binaries: String

    public var url: String { "postgres://tutorline@127.0.0.1:\(port)/postgres?sslmode=disable" }

    public init() throws {
        guard let binaries = ProcessInfo.processInfo.environment["TEST_POSTGRES_BIN"] else {
            throw TestDatabase.Missing()
        }
        self.binaries = binaries
        self.port = freePort()
        let folder = NSTemporaryDirectory() + "tutorline-private-pg-\(UUID().uuidString.prefix(8))"
        dataDirectory = folder + "/data"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try run("initdb", ["-D", dataDirectory, "-U", "tutorline", "-A", "trust", "--no-sync", "-E", "UTF8"])
        try start()
    }

    public func start() throws {
        try run("pg_ctl", [
            "-D", dataDirectory, "-l", dataDirectory + "/../server.log", "-w", "-t", "60", "start",
            "-o", "-p \(port) -k \(dataDirectory)/.. -c listen_addresses=127.0.0.1 -c fsync=off",
        ])
    }

    public func stop() throws {
        try run("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
    }

    deinit {
        _ = try? run("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Runs a server binary, as the postgres user when we are root (initdb refuses root).
    private func run(_ tool: String, _ arguments: [String]) throws {
        let asRoot = getuid() == 0
        let command = asRoot ? "/usr/sbin/runuser" : "\(binaries)/\(tool)"
        let args = asRoot ? ["-u", "postgres", "--", "\(binaries)/\(tool)"] + arguments : arguments
        let result = try runToCompletion(command, arguments: args, environment: [:])
        guard result.status == 0 else {
            throw ServiceProcess.StartFailure(description: "\(tool) failed: \(result.output)")
        }
    }
}
