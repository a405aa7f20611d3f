import Logging
import PostgresNIO

/// A statement Postgres parses and plans once per connection rather than at every call: at a
/// few hundred jobs a second, planning the same handful of statements again was about 40% of the
/// server's CPU (docs/BENCHMARKS.md). The `SQL` type names it.
struct PreparedQuery<SQL: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var sql: String { SQL.text }

    let bindings: PostgresBindings

    init(_ bindings: PostgresBindings) {
        self.bindings = bindings
    }

    func makeBindings() -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresClient {
    /// The rows of a prepared statement (these statements return a handful).
    ///
    /// When the server refuses the statement, postgres-nio keeps that refusal for the connection's
    /// life: a statement first prepared before the migration that created its table would fail on
    /// that connection forever. The same SQL then runs once unprepared, which recovers as soon as
    /// the cause is gone, as plain queries always did.
    func rows<SQL>(of statement: PreparedQuery<SQL>, logger: Logger) async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await execute(statement, logger: logger) { rows.append(row) }
            return rows
        } catch let error as PSQLError where error.code == .server {
            logger.debug("prepared statement refused; running it unprepared", metadata: ["statement": "\(SQL.self)"])
            var rows: [PostgresRow] = []
            for try await row in try await query(PostgresQuery(unsafeSQL: SQL.text, binds: statement.bindings), logger: logger) {
                rows.append(row)
            }
            return rows
        }
    }
}
