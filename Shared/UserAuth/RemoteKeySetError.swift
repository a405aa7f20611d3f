/// Why the identity provider's key set could not be read.
enum RemoteKeySetError: Error, CustomStringConvertible {
    case status(Int)

    var description: String {
        switch self {
        case .status(let code): "the JWKS URL answered \(code)"
        }
    }
}
