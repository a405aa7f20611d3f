import Foundation
import ServiceSupport
import Settings

/// Everything the gateway reads from its environment.
struct GatewaySettings: Sendable {
    static let streamTokenSecret = StreamTokenSettings.secret
    static let streamTokenPreviousSecrets = StreamTokenSettings.previousSecrets
    static let streamTokenTTL = Setting("STREAM_TOKEN_TTL_SECONDS", default: "900", "lifetime of a stream token")
    static let streamPublicURL = Setting(
        "STREAM_PUBLIC_URL", default: nil, "base URL put in front of streamUrl; empty: same origin (embedded default: \(EmbeddedDefaults.streamPublicURL))"
    )
    static let authJWTSecret = Setting(
        "AUTH_JWT_SECRET", default: nil, "HS256 key that signs users' bearer tokens (generated in the embedded default)", secret: true
    )
    static let authJWKSFile = Setting("AUTH_JWKS_FILE", default: "", "JWKS file with RS256/ES256 public keys for bearer tokens")
    static let corsOrigins = Setting("CORS_ORIGINS", default: "", "comma-separated origins allowed to call from a browser (* for any)")
    static let anonRateLimit = Setting("ANON_RATE_LIMIT", default: "30", "landing-assistant queries per minute per client address; 0 turns it off")
    static let anonReadRateLimit = Setting(
        "ANON_READ_RATE_LIMIT", default: "120", "landing-assistant conversation reads, deletions and stops per minute per client address; 0 turns it off"
    )
    static let maxAttempts = Setting("JOB_MAX_ATTEMPTS", default: "3", "attempts a job gets before it fails")
    static let trustForwardedFor = Setting(
        "TRUST_FORWARDED_FOR", default: "false", "true behind a proxy that appends the client address to X-Forwarded-For (rate limiting uses it)"
    )

    static let all: [Setting] = CommonSettings.settings(defaultPort: 8080) + [
        streamTokenSecret, streamTokenPreviousSecrets, streamTokenTTL, streamPublicURL,
        authJWTSecret, authJWKSFile, corsOrigins, anonRateLimit, anonReadRateLimit, maxAttempts, trustForwardedFor,
    ]

    var common: CommonSettings
    var reader: SettingsReader
    var streamTokenTTL: Duration
    var streamPublicURL: String
    var authJWTSecret: String?
    var authJWKS: String?
    var corsOrigins: [String]
    var anonRateLimit: Int
    var anonReadRateLimit: Int
    var maxAttempts: Int
    var trustForwardedFor: Bool

    init(reader: SettingsReader) throws {
        self.reader = reader
        common = try CommonSettings(reader: reader, defaultPort: 8080)
        streamTokenTTL = try reader.seconds(Self.streamTokenTTL, in: 10...86_400)
        var publicURL = reader.string(Self.streamPublicURL) ?? (common.database.isEmbedded ? EmbeddedDefaults.streamPublicURL : "")
        while publicURL.hasSuffix("/") { publicURL.removeLast() }
        streamPublicURL = publicURL
        let jwksPath = reader.string(Self.authJWKSFile) ?? ""
        if jwksPath.isEmpty {
            authJWKS = nil
        } else {
            do {
                authJWKS = try String(contentsOfFile: jwksPath, encoding: .utf8)
            } catch {
                throw SettingsError(Self.authJWKSFile.name, "cannot read \(jwksPath)")
            }
        }
        if authJWKS != nil, common.database.isEmbedded == false, (reader.string(Self.authJWTSecret) ?? "").isEmpty {
            authJWTSecret = nil
        } else {
            let secret = try EmbeddedDefaults.secret(Self.authJWTSecret, reader: reader, database: common.database)
            // HS256 wants a key at least as long as its hash; jwt-kit asserts it.
            guard secret.utf8.count >= 32 else { throw SettingsError(Self.authJWTSecret.name, "must be at least 32 bytes") }
            authJWTSecret = secret
        }
        corsOrigins = reader.list(Self.corsOrigins)
        anonRateLimit = try reader.int(Self.anonRateLimit, in: 0...1_000_000)
        anonReadRateLimit = try reader.int(Self.anonReadRateLimit, in: 0...1_000_000)
        maxAttempts = try reader.int(Self.maxAttempts, in: 1...20)
        let trust = try reader.required(Self.trustForwardedFor).lowercased()
        guard ["true", "false"].contains(trust) else { throw SettingsError(Self.trustForwardedFor.name, "must be true or false") }
        trustForwardedFor = trust == "true"
    }
}
