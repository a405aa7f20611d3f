import Jobs
import PostgresNIO

/// Runs store operations so that an unreachable database fails them quickly and plainly.
///
/// While Postgres is down, the client's pool keeps a query waiting for a connection that cannot
/// be made; a caller (the gateway answering 503, a worker backing off) needs an answer instead.
enum PostgresOperation {
    /// How long one operation may wait, connection included.
    static let deadline: Duration = .seconds(5)

    /// Runs `operation` within ``deadline``, turning connection failures and the deadline into
    /// ``JobStoreError/unavailable(_:)``; errors the server reports pass through.
    /// - Parameter deadline: `nil` for operations that may rightly take long (migrations).
    static func run<T: Sendable>(deadline: Duration? = deadline, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            guard let deadline else { return try await operation() }
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw JobStoreError.unavailable("Postgres did not answer within \(deadline)")
                }
                return value
            }
        } catch let error as PSQLError where error.code != .server {
            throw JobStoreError.unavailable("Postgres is unreachable (\(error.code))")
        }
    }
}
