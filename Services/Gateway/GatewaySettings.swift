import Foundation
import Jobs
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
    static let authJWKSURL = Setting(
        "AUTH_JWKS_URL", default: "", "identity provider's JWKS URL (RS256/ES256 keys), fetched at start and refreshed; e.g. Supabase's <project>/auth/v1/.well-known/jwks.json"
    )
    static let authJWKSRefresh = Setting("AUTH_JWKS_REFRESH_SECONDS", default: "600", "how often the JWKS URL is read again")
    static let authJWKSCooldown = Setting(
        "AUTH_JWKS_COOLDOWN_SECONDS", default: "30", "least time between two reads of the JWKS URL caused by tokens naming an unknown key"
    )
    static let authJWTAudience = Setting("AUTH_JWT_AUDIENCE", default: "", "when set, a bearer token's aud must include it (Supabase: authenticated)")
    static let authJWTIssuer = Setting("AUTH_JWT_ISSUER", default: "", "when set, a bearer token's iss must equal it (Supabase: https://<project>.supabase.co/auth/v1)")
    static let corsOrigins = Setting("CORS_ORIGINS", default: "", "comma-separated origins allowed to call from a browser (* for any)")
    static let anonRateLimit = Setting("ANON_RATE_LIMIT", default: "30", "landing-assistant queries per minute per client address; 0 turns it off")
    static let anonReadRateLimit = Setting(
        "ANON_READ_RATE_LIMIT", default: "120", "landing-assistant conversation reads, deletions and stops per minute per client address; 0 turns it off"
    )
    static let userRateLimit = Setting(
        "USER_RATE_LIMIT", default: "20", "tutor questions per minute per signed-in user, counted in the store across gateways; 0 turns it off"
    )
    static let userMaxActiveJobs = Setting(
        "USER_MAX_ACTIVE_JOBS", default: "3", "tutor answers queued or running at once per signed-in user; 0 turns it off"
    )
    static let maxAttempts = Setting("JOB_MAX_ATTEMPTS", default: "3", "attempts a job gets before it fails")
    static let trustForwardedFor = Setting(
        "TRUST_FORWARDED_FOR", default: "false", "true behind a proxy that appends the client address to X-Forwarded-For (rate limiting uses it)"
    )

    static let all: [Setting] = CommonSettings.settings(defaultPort: 8080) + [
        streamTokenSecret, streamTokenPreviousSecrets, streamTokenTTL, streamPublicURL,
        authJWTSecret, authJWKSFile, authJWKSURL, authJWKSRefresh, authJWKSCooldown, authJWTAudience, authJWTIssuer, corsOrigins, anonRateLimit, anonReadRateLimit, userRateLimit, userMaxActiveJobs, maxAttempts, trustForwardedFor,
    ]

    var common: CommonSettings
    var reader: SettingsReader
    var streamTokenTTL: Duration
    var streamPublicURL: String
    var authJWTSecret: String?
    var authJWKS: String?
    var authJWKSURL: URL?
    var authJWKSRefresh: Duration
    var authJWKSCooldown: Duration
    var authJWTAudience: String?
    var authJWTIssuer: String?
    var corsOrigins: [String]
    var anonRateLimit: Int
    var anonReadRateLimit: Int
    var userLimits: QuestionLimits
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
        let jwksURL = reader.string(Self.authJWKSURL) ?? ""
        if jwksURL.isEmpty {
            authJWKSURL = nil
        } else {
            guard let url = URL(string: jwksURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw SettingsError(Self.authJWKSURL.name, "must be an http(s) URL")
            }
            authJWKSURL = url
        }
        authJWKSRefresh = try reader.seconds(Self.authJWKSRefresh, in: 10...86_400)
        authJWKSCooldown = try reader.seconds(Self.authJWKSCooldown, in: 1...3_600)
        authJWTAudience = reader.string(Self.authJWTAudience).flatMap { $0.isEmpty ? nil : $0 }
        authJWTIssuer = reader.string(Self.authJWTIssuer).flatMap { $0.isEmpty ? nil : $0 }
        if authJWKS != nil || authJWKSURL != nil, common.database.isEmbedded == false, (reader.string(Self.authJWTSecret) ?? "").isEmpty {
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
        userLimits = QuestionLimits(
            perMinute: try reader.int(Self.userRateLimit, in: 0...1_000_000), activeJobs: try reader.int(Self.userMaxActiveJobs, in: 0...1_000_000)
        )
        maxAttempts = try reader.int(Self.maxAttempts, in: 1...20)
        let trust = try reader.required(Self.trustForwardedFor).lowercased()
        guard ["true", "false"].contains(trust) else { throw SettingsError(Self.trustForwardedFor.name, "must be true or false") }
        trustForwardedFor = trust == "true"
    }
}
