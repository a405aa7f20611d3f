import Foundation
import Synchronization

/// Whether one of our executables is as new as the code it is made of.
///
/// The end-to-end suites start the binaries, which they declare as dependencies, so `swift test`
/// builds them first; but `swift test --skip-build`, or a build whose objects changed without a
/// link (an interrupted one), would start the binaries of an earlier build and test old code.
/// The linker's own list of the objects it linked (`<binary>.product/Objects.LinkFileList`) says
/// which files to compare with.
enum BuiltExecutable {
    /// Paths already found fresh in this test process (each is checked once).
    private static let fresh = Mutex<Set<String>>([])

    /// Throws when an object the executable is linked from was compiled after it was linked.
    static func checkFresh(_ path: String) throws {
        guard !fresh.withLock({ $0.contains(path) }) else { return }
        // Not built by SwiftPM here (a copy, a release folder without its lists): nothing to compare.
        if let objects = try? String(contentsOfFile: "\(path).product/Objects.LinkFileList", encoding: .utf8),
            let linked = modified(path)
        {
            for object in objects.split(separator: "\n").map(String.init) {
                if let compiled = modified(object), compiled > linked {
                    throw ServiceProcess.StartFailure(
                        description: "\(path) is older than \(object), compiled since it was linked: run `swift build` before `swift test` (scripts/test.sh does)"
                    )
                }
            }
        }
        fresh.withLock { _ = $0.insert(path) }
    }

    private static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
