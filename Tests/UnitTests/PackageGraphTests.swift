import Foundation
import Testing

/// Package.swift says exactly what each module uses (nothing declared and unused, nothing used
/// through another module's dependencies), and docs/ARCHITECTURE.md's module graph is Package.swift's.
@Suite struct PackageGraphTests {
    struct Target {
        var name: String
        var path: String
        /// The project's own modules it depends on, and the products of other packages.
        var modules: [String]
        var products: [String]
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The platform's and the toolchain's own modules: never declared.
    static let system: Set<String> = ["Foundation", "Dispatch", "Glibc", "Darwin", "Musl", "Synchronization", "Testing", "XCTest", "_Concurrency"]

    /// The services' executables, which the end-to-end suites run rather than import.
    static let executables: Set<String> = ["Gateway", "Worker", "Stream"]

    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try Regex(#"\.(?:target|executableTarget|testTarget)\(\s*name: "(\w+)",\s*dependencies: \[(.*?)\],\s*path: "([^"]+)""#).dotMatchesNewlines()
        let product = try Regex(#"\.product\(name: "(\w+)", package: "[^"]+"\)"#)
        let quoted = try Regex(#""(\w+)""#)
        return manifest.matches(of: target).compactMap { match -> Target? in
            guard let name = match.output[1].substring, let list = match.output[2].substring, let path = match.output[3].substring else { return nil }
            let products = list.matches(of: product).compactMap { $0.output[1].substring.map(String.init) }
            let modules = String(list).replacing(product, with: "").matches(of: quoted).compactMap { $0.output[1].substring.map(String.init) }
            return Target(name: String(name), path: String(path), modules: modules, products: products)
        }
    }

    /// The modules a target's sources import.
    static func imports(of target: Target) throws -> Set<String> {
        let line = try Regex(#"(?m)^\s*(?:@testable\s+|@preconcurrency\s+|public\s+|internal\s+|package\s+)?import\s+(?:struct\s+|class\s+|enum\s+|func\s+|protocol\s+)?(\w+)"#)
        let folder = repository.appendingPathComponent(target.path)
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in source.matches(of: line) { if let module = match.output[1].substring { found.insert(String(module)) } }
        }
        return found.subtracting(system)
    }

    @Test func everyTargetDeclaresExactlyWhatItImports() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 20, "the manifest's targets are all found (\(targets.count))")
        let endToEnd = try #require(targets.first { $0.path == "Tests/EndToEndTests" })
        #expect(Self.executables.isSubset(of: endToEnd.modules), "the end-to-end suites declare the executables they start (their modules are compiled with the suites)")
        for target in targets {
            let imported = try Self.imports(of: target)
            // The end-to-end suites declare the executables they start, and import none of them.
            let declared = Set(target.modules + target.products).subtracting(target.path == "Tests/EndToEndTests" ? Self.executables : [])
            #expect(declared.subtracting(imported).isEmpty, "\(target.name) declares and never imports \(declared.subtracting(imported).sorted())")
            #expect(imported.subtracting(declared).isEmpty, "\(target.name) imports and does not declare \(imported.subtracting(declared).sorted())")
        }
    }

    /// The graph as docs/ARCHITECTURE.md shows it: one line per module, its project dependencies.
    static func graph() throws -> String {
        try targets().filter { $0.path.hasPrefix("Shared/") || $0.path.hasPrefix("Services/") }
            .map { "\($0.path) → \($0.modules.isEmpty ? "(none)" : $0.modules.sorted().joined(separator: ", "))" }
            .joined(separator: "\n")
    }

    @Test func theArchitectureDocumentShowsThisGraph() throws {
        let document = try String(contentsOf: Self.repository.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let expected = try Self.graph()
        #expect(document.contains("```\n\(expected)\n```"), "docs/ARCHITECTURE.md's module graph should read:\n\(expected)")
    }
}
