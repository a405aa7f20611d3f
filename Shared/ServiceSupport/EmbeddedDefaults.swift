#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Settings

/// What the embedded default (a SQLite `DATABASE_URL`) fills in, so that Tutorline runs on one
/// machine with no configuration at all.
public enum EmbeddedDefaults {
    /// The gateway's own origins in the embedded default, allowed to open streams from the demo page.
    public static let gatewayOrigins = ["http://127.0.0.1:8080", "http://localhost:8080"]
    /// Where the embedded default's stream service listens, put in front of `streamUrl`.
    public static let streamPublicURL = "http://127.0.0.1:8081"

    /// The secret from its variable; in the embedded default, when unset, one generated once into a
    /// file beside the database (shared by the three processes); with Postgres, required.
    public static func secret(_ setting: Setting, reader: SettingsReader, database: DatabaseLocation) throws -> String {
        if let value = reader.string(setting), !value.isEmpty { return value }
        guard case .sqlite(let path) = database else {
            throw SettingsError(setting.name, "is required with Postgres (it is generated only in the embedded SQLite default)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let file = "\(folder)/\(setting.name.lowercased().replacingOccurrences(of: "_", with: "-"))"
        do {
            return try loadOrCreate(file)
        } catch {
            throw SettingsError(setting.name, "unset, and \(file) could not be created: \(error.localizedDescription)")
        }
    }

    /// Reads the secret file, creating it first when missing. Several processes may start at once:
    /// each writes a candidate beside the file and links it into place, and the first link wins.
    static func loadOrCreate(_ file: String) throws -> String {
        if let existing = try? String(contentsOfFile: file, encoding: .utf8), !existing.isEmpty { return existing }
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 48)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let candidate = Data(bytes).base64EncodedString()
        let temporary = "\(file).\(getpid()).\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(candidate.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { unlink(temporary) }
        _ = link(temporary, file)
        return try String(contentsOfFile: file, encoding: .utf8)
    }
}
