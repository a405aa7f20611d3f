import Foundation
import PostgresStore
import ServiceSupport
import Testing
import Settings

/// `DATABASE_URL` takes passwords as every Postgres client does: percent-encoded in the URL, or
/// (`DATABASE_PASSWORD`) beside it as they are.
@Suite struct DatabaseURLTests {
    /// A password as `deploy/env.example` suggests making one: `head -c 48 /dev/urandom | base64`.
    static func suggestedPassword() -> String {
        Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    static func encoded(_ part: String) -> String {
        part.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? part
    }

    @Test func anySuggestedPasswordPercentEncodedIsReadBackExactly() throws {
        var withSlash = 0
        for _ in 0..<300 {
            let password = Self.suggestedPassword()
            if password.contains("/") { withSlash += 1 }
            let url = try #require(PostgresURL("postgres://tutorline:\(Self.encoded(password))@postgres:5432/tutorline?sslmode=disable"))
            #expect(url.password == password)
            #expect(url.username == "tutorline")
            #expect(url.host == "postgres")
            #expect(url.database == "tutorline")
        }
        // The case that broke the deployment is among them.
        #expect(withSlash > 0)
    }

    @Test func percentEncodingIsDecodedOnceOnly() throws {
        let url = try #require(PostgresURL("postgres://us%40er:a%2541%2Fb%3A@db.example:6543/my%20db"))
        #expect(url.username == "us@er")
        #expect(url.password == "a%41/b:")
        #expect(url.port == 6543)
        #expect(url.database == "my db")
    }

    @Test func aPasswordBesideTheURLIsTakenAsItIs() throws {
        for _ in 0..<50 {
            let password = Self.suggestedPassword() + "%41@:/"
            let location = try DatabaseLocation(parsing: "postgres://tutorline@postgres:5432/tutorline", password: password)
            guard case .postgres(let url) = location else {
                Issue.record("not Postgres")
                return
            }
            #expect(url.password == password)
        }
    }

    @Test func refusalsNameTheVariableAndTheWayOut() throws {
        // A raw "/" cuts the URL short: the message says how to pass such a password.
        let raw = #expect(throws: SettingsError.self) { try DatabaseLocation(parsing: "postgres://tutorline:ab/cd@postgres:5432/tutorline") }
        #expect(raw?.variable == "DATABASE_URL")
        #expect(raw?.problem.contains("DATABASE_PASSWORD") == true)
        let both = #expect(throws: SettingsError.self) {
            try DatabaseLocation(parsing: "postgres://tutorline:one@postgres/tutorline", password: "two")
        }
        #expect(both?.variable == "DATABASE_PASSWORD")
    }
}
