import Logging
import PostgresNIO

/// The SQL of a statement every job runs. Parameters carry explicit casts (`$1::uuid`) because
/// the server infers their types when it prepares the statement.
protocol PreparedSQL: SendableMetatype {
    static var text: String { get }
}
