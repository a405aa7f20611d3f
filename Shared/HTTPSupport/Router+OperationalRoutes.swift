import Hummingbird
import Prometheus

extension Router {
    /// `/healthz` (the process answers), `/readyz` (its dependencies answer) and `/metrics`
    /// (Prometheus text), the same on every service.
    public func addOperationalRoutes(metrics: PrometheusCollectorRegistry, readiness: @escaping @Sendable () async throws -> Void) {
        get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        get("/readyz") { _, context in
            do {
                try await readiness()
            } catch {
                context.logger.warning("not ready", metadata: ["error": "\(error)"])
                throw APIError.storeUnavailable
            }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        get("/metrics") { _, _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(8192)
            metrics.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }
}
