import Foundation
import HTTPSupport
import Hummingbird
import UserAuth

/// The demo page at `/`, and in the embedded default a token endpoint behind its
/// "sign in as demo user" button.
struct DemoRoutes: Sendable {
    let users: UserTokenVerifier
    /// Only the embedded default mints tokens for anyone who asks.
    let mintsDemoTokens: Bool

    func register(on router: Router<TutorlineRequestContext>) {
        router.get("/") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: DemoPage.html))
            )
        }
        router.post("/demo/token") { _, _ in
            guard mintsDemoTokens else {
                throw APIError.notFound(.notFound, "Demo sign-in exists only in the embedded default.")
            }
            let token = try await users.issue(subject: "demo-user", lifetime: .seconds(3600))
            return try QueryRoutes.json(["token": token, "sub": "demo-user"], status: .ok)
        }
    }
}
