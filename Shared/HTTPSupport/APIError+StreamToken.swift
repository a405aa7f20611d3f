import StreamTokens

extension APIError {
    /// The answer to a refused stream token, the same from the stream service and the gateway:
    /// 401 when the token is missing, not ours or expired, 403 when it is good but for something else.
    public init(_ error: StreamTokenError) {
        switch error.code {
        case .missing: self = .unauthorized(.missingToken, "The stream URL needs its token parameter.")
        case .invalid: self = .unauthorized(.invalidToken, "The stream token is not valid.")
        case .expired: self = .unauthorized(.expiredToken, "The stream token has expired; ask again for a new one.")
        case .wrongJob: self = .forbidden(.tokenForOtherJob, "The stream token is for another job.")
        case .wrongAudience: self = .forbidden(.tokenForOtherAssistant, "The stream token is for the other assistant.")
        }
    }

    /// The stream token a request carries: the `token` query parameter, or `Authorization: Bearer`.
    public static func streamToken(query: String?, authorization: String?) -> String? {
        if let query { return query }
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        return String(authorization.dropFirst(7))
    }
}
