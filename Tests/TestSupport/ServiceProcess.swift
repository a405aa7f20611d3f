#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import Foundation
import Synchronization

/// One of the real executables, started on a free port with its own environment; its output
/// goes to a log file the test can read.
public final class ServiceProcess: Sendable {
    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    public let name: String
    public let port: Int
    public let logPath: String
    private let process: Mutex<Process>

    /// The directory of the built executables (`swift build` puts them in `.build/debug`).
    public static var binaryDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["TUTORLINE_BIN_DIR"] { return dir }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug").path
    }

    /// Starts `executable` (one of ours by name, or any by absolute path) and waits until its `/healthz` answers.
    /// - Parameter user: runs the executable as this user (through `setpriv`, which execs in place so
    ///   signals reach the service itself; the tests must run as root), for faults only an
    ///   unprivileged process meets, such as a spool it may not write.
    public init(
        _ executable: String, arguments: [String] = [], environment: [String: String], port: Int, logDirectory: String, user: String? = nil
    ) async throws {
        self.name = executable
        self.port = port
        let logPath = "\(logDirectory)/\(executable)-\(port).log"
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let path = executable.hasPrefix("/") ? executable : "\(Self.binaryDirectory)/\(executable)"
        if !executable.hasPrefix("/") { try BuiltExecutable.checkFresh(path) }
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOST": "127.0.0.1", "PORT": String(port)]
        env.merge(environment) { _, new in new }
        var process = try Self.launch(path, arguments: arguments, environment: env, logPath: logPath, as: user, copyTo: user.map { _ in "\(logDirectory)/\(executable)-\(port)" })
        // A copy is exec'd while other tests spawn processes: one of them may hold the copy's write
        // descriptor for a moment (ETXTBSY). Exec fails at once then; try a fresh copy.
        for attempt in 1..<5 where user != nil {
            try await Task.sleep(for: .milliseconds(200))
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            guard !process.isRunning, output.contains("Text file busy") else { break }
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            process = try Self.launch(path, arguments: arguments, environment: env, logPath: logPath, as: user, copyTo: "\(logDirectory)/\(executable)-\(port)-\(attempt)")
        }
        self.process = Mutex(process)
        try await waitUntilHealthy()
    }

    private static func launch(
        _ path: String, arguments: [String], environment: [String: String], logPath: String, as user: String?, copyTo copy: String?
    ) throws -> Process {
        let process = Process()
        if let user, let copy {
            // A copy beside the logs: the build folder may sit in a home the user cannot enter.
            try FileManager.default.copyItem(atPath: URL(fileURLWithPath: path).standardizedFileURL.path, toPath: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=nogroup", "--clear-groups", copy] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        process.environment = environment
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// The log the process wrote so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.withLock { $0.isRunning } }

    public var pid: Int32 { process.withLock { $0.processIdentifier } }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        // Our services name themselves in the Server header; a 200 from anything else on the port
        // (another test's server) must not pass for this one.
        let expectedServer = name.hasPrefix("/") ? nil : name
        while ContinuousClock.now < deadline {
            if !isRunning {
                throw StartFailure(description: "\(name) exited at start:\n\(log)")
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.method = .GET
            // No connection left in the shared client's pool: a test with a 1 s idle timeout
            // could be handed one at the moment the service closes it.
            request.headers.add(name: "Connection", value: "close")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok,
                expectedServer == nil || response.headers.first(name: "Server") == expectedServer
            {
                if isRunning { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(description: "\(name) did not become healthy:\n\(log)")
    }

    /// The process's resident memory in KiB (`VmRSS`), nil once it has exited.
    public var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// Sends a signal (SIGTERM for a graceful stop, SIGKILL for a crash).
    public func signal(_ signal: Int32) {
        let pid = self.pid
        if pid > 0 { kill(pid, signal) }
    }

    /// Waits for the process to exit; returns its status, or `nil` after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(15)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isRunning { return process.withLock { $0.terminationStatus } }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Stops the process: SIGTERM, then SIGKILL if it lingers.
    public func stop() async {
        guard isRunning else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: .seconds(10)) == nil {
            signal(SIGKILL)
            await waitForExit(timeout: .seconds(5))
        }
    }

    deinit {
        process.withLock { process in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}

/// Runs an executable (one of ours by name, or any by absolute path) to completion.
///
/// The wait happens on a Dispatch thread, never on the cooperative pool: that pool has as many
/// threads as cores, and a test blocked in it stalls every other test's clients.
public func runToCompletion(_ executable: String, arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try runBlocking(executable, arguments: arguments, environment: environment) })
        }
    }
}

private func runBlocking(_ executable: String, arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "\(ServiceProcess.binaryDirectory)/\(executable)")
    process.arguments = arguments
    var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    env.merge(environment) { _, new in new }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
