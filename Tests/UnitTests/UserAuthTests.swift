import Foundation
import Testing
import UserAuth

@Suite struct UserAuthTests {
    @Test func verifiesIssuedTokensAndRefusesOthers() async throws {
        let verifier = try await UserTokenVerifier(hmacSecret: "user-secret-user-secret-user-secret")
        let token = try await verifier.issue(subject: "user-42")
        #expect(try await verifier.verify(bearer: token).sub.value == "user-42")

        let expired = try await verifier.issue(subject: "u", lifetime: .seconds(60), now: Date().addingTimeInterval(-3600))
        await #expect(throws: UserAuthError(.expired)) { try await verifier.verify(bearer: expired) }
        await #expect(throws: UserAuthError(.missing)) { try await verifier.verify(bearer: nil) }
        await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: "garbage") }
        let other = try await UserTokenVerifier(hmacSecret: "another-secret-another-secret-xx").issue(subject: "u")
        await #expect(throws: UserAuthError(.invalid)) { try await verifier.verify(bearer: other) }
    }
}
