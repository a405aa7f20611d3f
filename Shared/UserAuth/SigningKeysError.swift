/// A document that is not a JWKS (no `keys` array).
enum SigningKeysError: Error, CustomStringConvertible {
    case notAJWKS

    var description: String { "the document is not a JWKS (no \"keys\" array)" }
}
