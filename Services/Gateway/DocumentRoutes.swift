import Hummingbird
import HTTPSupport

/// `/openapi.yaml`, the API described for other programs and for people, and
/// `/tutorline-client.js` with its types, the browser client: embedded in the binary at build
/// time from `Services/Gateway/Public`.
struct DocumentRoutes: Sendable {
    func register(on router: Router<TutorlineRequestContext>) {
        router.get("/openapi.yaml") { _, _ in
            Self.document(PackageResources.openapi_yaml, contentType: "application/yaml")
        }
        router.get("/tutorline-client.js") { _, _ in
            Self.document(PackageResources.tutorline_client_js, contentType: "text/javascript; charset=utf-8")
        }
        router.get("/tutorline-client.d.ts") { _, _ in
            Self.document(PackageResources.tutorline_client_d_ts, contentType: "application/typescript; charset=utf-8")
        }
    }

    static func document(_ bytes: [UInt8], contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}
