import Foundation

/// Epoch milliseconds: the embedded store's clock (every process reads the same wall clock), and
/// the precision of a conversation list's cursor in both stores.
extension Date {
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    public init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }
}
