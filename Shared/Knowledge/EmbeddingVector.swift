import Foundation

/// A text's embedding, scaled to unit length so that the dot product of two is their cosine
/// similarity.
public struct EmbeddingVector: Sendable, Equatable {
    public private(set) var values: [Float]

    /// Scales `values` to unit length; `nil` when they are empty, all zero, or not finite.
    public init?(_ values: [Float]) {
        var squares: Float = 0
        for value in values { squares += value * value }
        let length = squares.squareRoot()
        guard !values.isEmpty, length.isFinite, length > 0 else { return nil }
        self.values = values.map { $0 / length }
    }

    public var dimensions: Int { values.count }

    /// The cosine similarity with `other`; 0 when the dimensions differ.
    public func similarity(to other: EmbeddingVector) -> Float {
        guard values.count == other.values.count else { return 0 }
        var sum: Float = 0
        for index in values.indices { sum += values[index] * other.values[index] }
        return sum
    }

    /// The cosine similarity with a vector stored as ``data``, read in place (a search scores
    /// every vector of a scope, so nothing is copied); `nil` when the sizes differ.
    public func similarity(toStored bytes: UnsafeRawBufferPointer) -> Float? {
        guard bytes.count == values.count * 4 else { return nil }
        var sum: Float = 0
        values.withUnsafeBufferPointer { mine in
            for index in mine.indices {
                let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                sum += mine[index] * Float(bitPattern: bits)
            }
        }
        return sum
    }

    /// Little-endian 32-bit floats, as SQLite stores them.
    public var data: Data {
        var data = Data(capacity: values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }
}
