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
    ///
    /// The caller gets its answer at the deadline even when the operation does not end then: a
    /// query already sent does not stop when its task is cancelled, and a connection that neither
    /// answers nor closes would otherwise hold a worker's job (its lease kept alive) for good. The
    /// late operation is cancelled and left to end on its own.
    /// - Parameter deadline: `nil` for operations that may rightly take long (migrations).
    static func run<T: Sendable>(deadline: Duration? = deadline, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            guard let deadline else { return try await operation() }
            let (answer, answered) = AsyncThrowingStream<T, any Error>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let work = Task {
                do {
                    answered.yield(try await operation())
                    answered.finish()
                } catch {
                    answered.finish(throwing: error)
                }
            }
            let timer = Task {
                do {
                    try await Task.sleep(for: deadline)
                } catch {
                    return
                }
                answered.finish(throwing: JobStoreError.unavailable("Postgres did not answer within \(deadline)"))
            }
            defer {
                work.cancel()
                timer.cancel()
            }
            // The first of the answer, the deadline and the caller's cancellation (which ends the
            // iteration) wins.
            for try await value in answer { return value }
            throw CancellationError()
        } catch let error as PostgresTransactionError {
            // A transaction's error is its first part's: the connection lost at BEGIN, inside,
            // or at COMMIT is the database unreachable, as it is outside a transaction.
            throw translated(error.beginError ?? error.closureError ?? error.commitError ?? error)
        } catch {
            throw translated(error)
        }
    }

    /// Connection failures, and the server's "try again" answers (a deadlock broken, a
    /// serialization failure, a lock not had in time), are the store unavailable for a moment;
    /// other errors pass through.
    static func translated(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError else { return error }
        guard error.code == .server else { return JobStoreError.unavailable("Postgres is unreachable (\(error.code))") }
        let state = error.serverInfo?[.sqlState]
        if state == "40P01" || state == "40001" || state == "55P03" {
            return JobStoreError.unavailable("Postgres asked to try again (SQLSTATE \(state ?? ""))")
        }
        return error
    }
}
