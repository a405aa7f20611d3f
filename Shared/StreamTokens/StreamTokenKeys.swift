import Crypto
import Foundation
import JWTKit

/// The HMAC keys of stream tokens: the current secret signs; previous secrets still verify,
/// so that a rotation does not cut off tokens already handed out.
public struct StreamTokenKeys: Sendable {
    /// The smallest secret accepted, in bytes (the HS256 key size).
    public static let minimumSecretLength = 32

    let collection: JWTKeyCollection
    /// The `kid` of the signing key.
    public let currentKeyID: String

    /// - Throws: ``StreamTokenKeys/WeakSecret`` when a secret is shorter than ``minimumSecretLength``.
    public init(secret: String, previousSecrets: [String] = []) async throws {
        for candidate in [secret] + previousSecrets where candidate.utf8.count < Self.minimumSecretLength {
            throw WeakSecret()
        }
        let collection = JWTKeyCollection()
        currentKeyID = Self.keyID(of: secret)
        await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: currentKeyID))
        for previous in previousSecrets where previous != secret {
            await collection.add(hmac: HMACKey(from: previous), digestAlgorithm: .sha256, kid: JWKIdentifier(string: Self.keyID(of: previous)))
        }
        self.collection = collection
    }

    /// A key id every replica derives alike from the secret, revealing nothing usable about it.
    static func keyID(of secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// A secret shorter than ``StreamTokenKeys/minimumSecretLength`` bytes.
    public struct WeakSecret: Error, CustomStringConvertible {
        public var description: String { "must be at least \(StreamTokenKeys.minimumSecretLength) bytes" }
    }
}
