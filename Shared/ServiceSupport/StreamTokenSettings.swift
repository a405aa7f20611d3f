import StreamTokens
import Settings

/// The stream-token settings the gateway (which signs) and the stream service (which verifies) share.
public enum StreamTokenSettings {
    public static let secret = Setting(
        "STREAM_TOKEN_SECRET", default: nil,
        "HMAC key of stream tokens, at least 32 bytes (required with Postgres; generated into the SQLite file's folder otherwise)",
        secret: true
    )
    public static let previousSecrets = Setting(
        "STREAM_TOKEN_PREVIOUS_SECRETS", default: "", "comma-separated earlier keys that still verify during rotation", secret: true
    )

    /// The keys from the environment (or, in the embedded default, the generated secret).
    public static func keys(reader: SettingsReader, database: DatabaseLocation) async throws -> StreamTokenKeys {
        let current = try EmbeddedDefaults.secret(secret, reader: reader, database: database)
        do {
            return try await StreamTokenKeys(secret: current, previousSecrets: reader.list(previousSecrets))
        } catch let error as StreamTokenKeys.WeakSecret {
            throw SettingsError(secret.name, error.description)
        }
    }
}
