import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An identity provider's public keys, read from its JWKS URL (`AUTH_JWKS_URL`).
///
/// Run as a service: it fetches the document at start (retrying until it can) and again every
/// `refreshInterval`, so keys the provider adds or retires arrive without a restart. A token that
/// names a key not yet seen makes it fetch at once, at most once per `cooldown`, so a rotation is
/// seen on its first token while tokens with made-up key ids cannot make it fetch in a loop.
public final class RemoteKeySet: Service, Sendable {
    /// What a lookup of a key id found.
    public enum Lookup: Sendable {
        /// The key set holding the key.
        case found(JWTKeyCollection)
        /// The provider's current document (fetched within the cooldown) has no such key.
        case unknown
        /// The document could not be fetched (never yet, or not since the key was asked for).
        case unavailable
    }

    private struct State {
        var keys: JWTKeyCollection?
        var kids: Set<String> = []
        /// When the last fetch started, and whether it succeeded.
        var lastAttempt: ContinuousClock.Instant?
        var lastAttemptFailed = false
        var inFlight: Task<Void, Never>?
    }

    let url: String
    let http: HTTPClient
    let refreshInterval: Duration
    let cooldown: Duration
    let fetchTimeout: Duration
    let logger: Logger
    private let state = Mutex(State())

    /// The largest document read: a key set is a few KiB.
    static let maxDocumentBytes = 1 << 20

    public init(
        url: String, http: HTTPClient = .shared, refreshInterval: Duration = .seconds(600), cooldown: Duration = .seconds(30),
        fetchTimeout: Duration = .seconds(5), logger: Logger
    ) {
        self.url = url
        self.http = http
        self.refreshInterval = refreshInterval
        self.cooldown = cooldown
        self.fetchTimeout = fetchTimeout
        self.logger = logger
    }

    /// Whether a document has been read since start.
    public var isLoaded: Bool { state.withLock { $0.keys != nil } }

    public func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await refresh()
            let failed = state.withLock { $0.lastAttemptFailed }
            failures = failed ? failures + 1 : 0
            // After a failure, try again soon (1, 2, 4 ... 30 s), then at the usual pace.
            let wait = failed ? min(.seconds(30), .seconds(1) * (1 << min(failures - 1, 5))) : refreshInterval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
    }

    /// The keys to verify a token naming `kid` with, fetching the document first when the key is
    /// new and the cooldown allows.
    public func keys(for kid: String) async -> Lookup {
        if let found = current(kid) { return .found(found) }
        await refresh(unlessWithin: cooldown)
        if let found = current(kid) { return .found(found) }
        return state.withLock { state in state.keys == nil || state.lastAttemptFailed ? .unavailable : .unknown }
    }

    private func current(_ kid: String) -> JWTKeyCollection? {
        state.withLock { $0.kids.contains(kid) ? $0.keys : nil }
    }

    /// Fetches the document, or waits for the fetch already under way; does nothing when the
    /// last fetch started within `recent` (checked under the same lock that starts one).
    func refresh(unlessWithin recent: Duration = .zero) async {
        let task = state.withLock { state -> Task<Void, Never>? in
            if let inFlight = state.inFlight { return inFlight }
            if recent > .zero, let last = state.lastAttempt, ContinuousClock.now - last < recent { return nil }
            state.lastAttempt = .now
            let task = Task { await self.fetch() }
            state.inFlight = task
            return task
        }
        await task?.value
    }

    private func fetch() async {
        let outcome: Result<(JWTKeyCollection, Set<String>), any Error>
        do {
            outcome = .success(try await download())
        } catch {
            outcome = .failure(error)
        }
        let wasLoaded = state.withLock { state in
            let wasLoaded = state.keys != nil
            state.inFlight = nil
            switch outcome {
            case .success(let (keys, kids)):
                state.keys = keys
                state.kids = kids
                state.lastAttemptFailed = false
            case .failure:
                state.lastAttemptFailed = true
            }
            return wasLoaded
        }
        switch outcome {
        case .success(let (_, kids)):
            logger.log(level: wasLoaded ? .debug : .info, "read the identity provider's keys", metadata: ["kids": "\(kids.sorted())"])
        case .failure(let error):
            logger.warning("cannot read the identity provider's keys", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }

    private func download() async throws -> (JWTKeyCollection, Set<String>) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .milliseconds(Int64(fetchTimeout / .milliseconds(1))))
        guard response.status == .ok else { throw RemoteKeySetError.status(Int(response.status.code)) }
        let body = try await response.body.collect(upTo: Self.maxDocumentBytes)
        // Keys jwt-kit cannot verify with are skipped, not fatal: providers publish encryption
        // keys and others beside the signing ones.
        let (parsed, skipped) = try SigningKeys.parse(Data(Array(buffer: body)))
        let keys = JWTKeyCollection()
        var kids: Set<String> = []
        for key in parsed {
            guard let kid = key.keyIdentifier?.string else { continue }
            do {
                try await keys.add(jwk: key)
                kids.insert(kid)
            } catch {
                logger.debug("skipped a key of the identity provider", metadata: ["kid": "\(kid)", "error": "\(error)"])
            }
        }
        if skipped > 0 { logger.debug("skipped keys of the identity provider it cannot verify with", metadata: ["count": "\(skipped)"]) }
        return (keys, kids)
    }
}
