import PostgresNIO

/// The SQL of a statement every job runs. Parameters carry explicit casts (`$1::uuid`) because
/// the server infers their types when it prepares the statement.
protocol PreparedSQL: SendableMetatype {
    static var text: String { get }
}

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
