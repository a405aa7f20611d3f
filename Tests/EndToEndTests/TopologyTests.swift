#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SSE
import TestSupport
import Testing

/// The compose topology without a container engine: the executables as processes, two stream
/// replicas and two workers behind Debian's nginx with the proxy configuration compose uses
/// (deploy/nginx/tutorline.conf), one origin.
@Suite(.serialized)
struct TopologyTests {
    static var nginx: String { ProcessInfo.processInfo.environment["NGINX"] ?? "/usr/sbin/nginx" }
    static var repository: URL { URL(fileURLWithPath: TestSystem.contentDirectory).deletingLastPathComponent() }

    @Test func composeFileIsValid() async throws {
        let result = try await runToCompletion("/usr/bin/python3", arguments: [Self.repository.appendingPathComponent("scripts/check-compose.py").path], environment: [:])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("0 problem(s)"))
    }

    @Test func replicasBehindNginxShareTheLoadAndHandOverStreams() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.nginx), "no nginx at \(Self.nginx): apt-get install -y nginx")
        // Answers of about 7 s (the stand-in repeats the question): still being written when a replica
        // stops, even when the questions took seconds to go in on a machine running the whole suite.
        try await withTestSystem(llm: LLMStandIn(chunkDelay: .milliseconds(100))) { system in
            let secondStream = try await ServiceProcess("tutorline-stream", environment: system.environment, port: freePort(), logDirectory: system.workDir)
            let secondWorker = try await ServiceProcess("tutorline-worker", environment: system.environment, port: freePort(), logDirectory: system.workDir)
            defer {
                secondStream.signal(SIGKILL)
                secondWorker.signal(SIGKILL)
            }
            let proxyPort = freePort()
            let prefix = system.workDir + "/nginx"
            try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
            let configuration = """
                \(getuid() == 0 ? "user root;" : "")
                worker_processes 1;
                daemon off;
                error_log \(prefix)/logs/error.log;
                pid \(prefix)/nginx.pid;
                events { worker_connections 1024; }
                http {
                    include \(Self.repository.appendingPathComponent("deploy/nginx/tutorline-http.conf").path);
                    access_log \(prefix)/logs/access.log tutorline;
                    client_body_temp_path \(prefix)/body;
                    proxy_temp_path \(prefix)/proxy;
                    fastcgi_temp_path \(prefix)/fastcgi;
                    uwsgi_temp_path \(prefix)/uwsgi;
                    scgi_temp_path \(prefix)/scgi;
                    upstream gateways { server 127.0.0.1:\(system.gateway.port); }
                    upstream streams { server 127.0.0.1:\(system.stream.port); server 127.0.0.1:\(secondStream.port); }
                    map $host $tutorline_gateway { default gateways; }
                    map $host $tutorline_stream { default streams; }
                    server {
                        listen 127.0.0.1:\(proxyPort);
                        include \(Self.repository.appendingPathComponent("deploy/nginx/tutorline.conf").path);
                    }
                }
                """
            try configuration.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
            let proxy = try await ServiceProcess(Self.nginx, arguments: ["-p", prefix, "-c", prefix + "/nginx.conf"], environment: [:], port: proxyPort, logDirectory: system.workDir)
            defer { proxy.signal(SIGKILL) }
            let origin = "http://127.0.0.1:\(proxyPort)"

            // Browsers on one origin: POST to the gateway and stream through the same proxy.
            var streams: [(question: String, url: String)] = []
            for index in 0..<8 {
                let question = "Through the proxy \(index), " + String(repeating: "and on, ", count: 40) + "to the end"
                let accepted = try await TestHTTP.postJSON("\(origin)/api/landing-assistant/query", ["question": question])
                #expect(accepted.status == 202, "\(accepted.body)")
                streams.append((question, origin + (try #require(try accepted.json()["streamUrl"] as? String))))
            }
            // Browsers follow their streams as EventSource does; mid-stream, one replica is stopped and
            // its browsers reconnect through the proxy to the other and resume with Last-Event-ID.
            let followed = streams
            let followers = Task {
                try await withThrowingTaskGroup(of: (String, [ServerSentEvent], Int).self) { group in
                    for stream in followed {
                        group.addTask {
                            let (events, reconnects) = try await followEventStream(stream.url)
                            return (stream.question, events, reconnects)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            // Once both replicas serve streams (a moment, or seconds on a loaded machine).
            for _ in 0..<200 where !(system.stream.log.contains("stream opened") && secondStream.log.contains("stream opened")) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(system.stream.log.contains("stream opened") && secondStream.log.contains("stream opened"), "both replicas served streams")
            secondStream.signal(SIGTERM)
            #expect(await secondStream.waitForExit(timeout: .seconds(10)) == 0)
            let results = try await followers.value
            #expect(results.count == streams.count)
            for (question, events, _) in results {
                let answer = try #require(events.last { $0.event == "completed" }.flatMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }?["answer"] as? String)
                #expect(answer == LLMStandIn.answer(to: question))
                #expect(ReceivedStream.deltaText(events) == answer, "nothing lost, nothing twice")
            }
            #expect(results.contains { $0.2 > 0 }, "some browsers were on the stopped replica and moved")
            // Both workers took jobs.
            #expect(system.worker.log.contains("job claimed") && secondWorker.log.contains("job claimed"))
            // The proxy logged every stream request, a replica went away under some of them, and no
            // token reached its logs (it writes paths only, and no request line into errors).
            proxy.signal(SIGQUIT)
            _ = await proxy.waitForExit(timeout: .seconds(10))
            let accessLog = try String(contentsOfFile: prefix + "/logs/access.log", encoding: .utf8)
            let errorLog = (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
            #expect(accessLog.components(separatedBy: "/stream/").count > streams.count, "the access log holds the streams")
            for log in [accessLog, errorLog, proxy.log] {
                #expect(!log.contains("token="))
                for stream in streams {
                    let token = try #require(URLComponents(string: stream.url)?.queryItems?.first { $0.name == "token" }?.value)
                    #expect(!log.contains(token))
                }
            }
        }
    }
}
