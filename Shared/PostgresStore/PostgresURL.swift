import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:pass@host:port/db` URL, read into the two configurations postgres-nio takes.
public struct PostgresURL: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    /// `disable`, `prefer` (the default) or `require`, from the `sslmode` query parameter.
    public var sslMode: String

    /// Reads the URL; `nil` when it is not a usable Postgres URL.
    ///
    /// User, password and database are percent-decoded exactly once, as every Postgres client
    /// does, so a password holding `/`, `@`, `:` or `%` is written `%2F`, `%40`, `%3A`, `%25`.
    public init?(_ string: String) {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else { return nil }
        self.host = host
        self.port = components.port ?? 5432
        // The encoded forms, decoded here once: decoding Foundation's already decoded accessors
        // again would turn a literal "%41" in a password into "A".
        var malformed = false
        func decoded(_ part: String?) -> String? {
            guard let part else { return nil }
            guard let value = part.removingPercentEncoding else {
                malformed = true
                return nil
            }
            return value
        }
        self.username = decoded(components.percentEncodedUser) ?? "postgres"
        self.password = decoded(components.percentEncodedPassword)
        let path = decoded(components.percentEncodedPath) ?? ""
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        self.database = name.isEmpty ? nil : name
        guard !malformed else { return nil }
        self.sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(sslMode) else { return nil }
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch sslMode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
    }

    /// The pooled client's configuration.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: clientTLS
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case "disable": .disable
        case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// A single connection's configuration (the LISTEN connection).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS()
        )
    }
}
