import PostgresNIO

/// Starts a `PostgresClient` and tells its users when it runs.
///
/// postgres-nio marks a client running in the first step of `run()` and warns when a connection
/// is leased before then; a signal raised just before calling `run()` would let a waiter on
/// another thread lease first (seen in the tests: one start in forty). Here `run()` is called on
/// this actor, and postgres-nio's async methods run on their caller's executor, so that first
/// step runs on the actor too; `wait()` returns on the actor as well, which it can enter only
/// once `run()` has reached its first suspension, after marking the client running. This rests
/// on postgres-nio's build setting (`NonisolatedNonsendingByDefault`) and on `run()` marking
/// itself first; should either change, the end-to-end tests' check for the warning says so.
actor PoolStart {
    private var isRunning = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Runs `client` until it is shut down.
    func run(_ client: PostgresClient) async {
        isRunning = true
        for waiter in waiters { waiter.resume() }
        waiters = []
        await client.run()
    }

    /// Returns once the client runs.
    func wait() async {
        guard !isRunning else { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
