import Foundation
import TestSupport
import Testing

/// The API document the gateway serves describes exactly the routes the two services answer:
/// each service logs its routes as it starts (read off its router), and the document's paths and
/// methods must be the same set.
@Suite struct APIDocumentTests {
    /// `METHOD /path` for every operation under the document's `paths:` (a path's keys at two
    /// spaces, its methods at four; the document is this repository's own, written that way).
    static func operations(in document: String) -> Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if methods.contains(String(key)) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }

    /// The routes a service logged at start (written as OpenAPI writes paths, `{name}` a parameter).
    static func routes(in log: String) throws -> Set<String> {
        let line = try #require(log.split(separator: "\n").first { $0.contains("routes served") })
        let listed = try #require(line.firstRange(of: "routes=").map { line[$0.upperBound...] })
        return Set(listed.prefix { $0 != "[" }.trimmingCharacters(in: .whitespaces).components(separatedBy: ", "))
    }

    @Test func theDocumentDescribesEveryRouteAndNoOther() async throws {
        try await withTestSystem(store: .sqlite) { system in
            let response = try await TestHTTP.get("\(system.gatewayURL)/openapi.yaml")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "Content-Type") == "application/yaml")
            #expect(response.body.hasPrefix("openapi: 3.1"))
            let documented = Self.operations(in: response.body)
            #expect(documented.count > 20, "the scan found the document's operations: \(documented.sorted())")

            let gateway = try Self.routes(in: system.gateway.log)
            // The operational routes are on every service; the streams are the stream service's own.
            let stream = try Self.routes(in: system.stream.log)
            let served = gateway.union(stream)
            #expect(stream.subtracting(gateway).allSatisfy { $0.contains("/stream/") }, "the stream service serves only streams of its own")
            #expect(served.subtracting(documented).sorted() == [], "routes the document does not describe")
            #expect(documented.subtracting(served).sorted() == [], "operations no service answers")
        }
    }

    /// An address that exists answers a method it does not take with 405 and `Allow` (the router
    /// alone says 404), on both services; one that does not exist stays a 404.
    @Test func aMethodAnAddressDoesNotTakeIsA405WithAllow() async throws {
        try await withTestSystem(store: .sqlite) { system in
            let job = UUID().uuidString.lowercased()
            func expect405(_ response: TestResponse, allowing allowed: String, _ what: String) {
                #expect(response.status == 405 && response.errorCode == "method_not_allowed", "\(what): \(response.status) \(response.body)")
                #expect(response.headers.first(name: "Allow") == allowed, "\(what)")
            }
            expect405(try await TestHTTP.request(.DELETE, "\(system.gatewayURL)/api/landing-assistant/query"), allowing: "POST", "DELETE a query")
            expect405(try await TestHTTP.request(.TRACE, "\(system.gatewayURL)/healthz"), allowing: "GET", "TRACE /healthz")
            expect405(try await TestHTTP.request(.PUT, "\(system.gatewayURL)/assistant/sessions/\(job)"), allowing: "DELETE, GET", "PUT a conversation")
            expect405(try await TestHTTP.request(.POST, "\(system.streamURL)/api/landing-assistant/stream/\(job)"), allowing: "GET", "POST a stream")
            let nowhere = try await TestHTTP.request(.TRACE, "\(system.gatewayURL)/nowhere")
            #expect(nowhere.status == 404 && nowhere.errorCode == "not_found")
        }
    }

    @Test func theScanReadsADocumentsOperations() {
        let document = """
            openapi: 3.1.0
            paths:
              /a/{id}:
                get:
                  parameters: []
                delete:
                  summary: x
              /b:
                post:
                  responses: {}
            components:
              schemas:
                get:
                  type: object
            """
        #expect(Self.operations(in: document) == ["GET /a/{id}", "DELETE /a/{id}", "POST /b"])
    }
}
