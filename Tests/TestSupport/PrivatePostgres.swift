#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Postgres server of a test's own, which the test may stop and start (the shared test server
/// must stay up for the other tests). Uses the binaries `scripts/with-postgres.sh` found.
public final class PrivatePostgres: Sendable {
    public let port: Int
    let folder: String
    let dataDirectory: String
    let binaries: String

    public var url: String { "postgres://tutorline@127.0.0.1:\(port)/postgres?sslmode=disable" }

    public init() throws {
        guard let binaries = ProcessInfo.processInfo.environment["TEST_POSTGRES_BIN"] else {
            throw TestDatabase.Missing()
        }
        self.binaries = binaries
        self.port = freePort()
        folder = NSTemporaryDirectory() + "tutorline-private-pg-\(UUID().uuidString.prefix(8))"
        dataDirectory = folder + "/data"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        try run("initdb", ["-D", dataDirectory, "-U", "tutorline", "-A", "trust", "--no-sync", "-E", "UTF8"])
        try start()
    }

    public func start() throws {
        try run("pg_ctl", [
            "-D", dataDirectory, "-l", folder + "/server.log", "-w", "-t", "60", "start",
            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off",
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
        // posix_spawn and waitpid, output to a file: the server pg_ctl starts would hold a pipe open,
        // and Foundation's Process does not reliably reap runuser here.
        let log = folder + "/\(tool).log"
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([command] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ServiceProcess.StartFailure(description: "cannot start \(tool): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS, spelled out (the C macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw ServiceProcess.StartFailure(description: "\(tool) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }
}
