import Foundation
import JWTKit

/// The signing keys of a JWKS document, each usable with exactly one algorithm.
///
/// Keys are read one by one, so that a key jwt-kit cannot use (an encryption key, a symmetric
/// `oct` key, a curve it does not know) is skipped rather than failing the whole document. A key
/// that names no `alg` (optional in a JWKS; some providers omit it) gets the one its type implies:
/// left open, jwt-kit would take the first token's `alg` for it and keep it, so one forged token
/// could fix a key to the wrong algorithm and lock every genuine token out.
enum SigningKeys {
    /// The usable keys of `document`, and how many were skipped. Throws when it is no JWKS at all.
    static func parse(_ document: Data) throws -> (keys: [JWK], skipped: Int) {
        guard let object = try JSONSerialization.jsonObject(with: document) as? [String: Any],
            let entries = object["keys"] as? [Any]
        else { throw SigningKeysError.notAJWKS }
        var keys: [JWK] = []
        for case var entry as [String: Any] in entries where (entry["use"] as? String) != "enc" {
            if entry["alg"] == nil {
                guard let algorithm = impliedAlgorithm(keyType: entry["kty"] as? String, curve: entry["crv"] as? String) else { continue }
                entry["alg"] = algorithm
            }
            guard let data = try? JSONSerialization.data(withJSONObject: entry), let key = try? JSONDecoder().decode(JWK.self, from: data),
                key.keyIdentifier != nil, key.algorithm != nil
            else { continue }
            keys.append(key)
        }
        return (keys, entries.count - keys.count)
    }

    /// The signing algorithm a key's type implies (RSA keys are used with RS256 by every provider
    /// that omits `alg`); nil when the type does not name one.
    static func impliedAlgorithm(keyType: String?, curve: String?) -> String? {
        switch (keyType, curve) {
        case ("RSA", _): "RS256"
        case ("EC", "P-256"): "ES256"
        case ("EC", "P-384"): "ES384"
        case ("EC", "P-521"): "ES512"
        case ("OKP", "Ed25519"): "EdDSA"
        default: nil
        }
    }
}
