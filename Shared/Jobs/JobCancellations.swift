import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Tells a worker's running jobs that their owner asked them to stop.
///
/// One per worker process, run as a service. It asks the store which of its running jobs were
/// asked (one query for all of them) whenever the store's wake-up channel rings the
/// ``WorkerDoorbells/cancellations`` bell, and every `backstop` while jobs run, in case a ring was
/// lost with a connection. Never a query per piece of an answer, nor one while nothing runs.
public final class JobCancellations: Service, Sendable {
    private struct State {
        /// The running jobs, each with the waiter that learns of its stop.
        var running: [UUID: CheckedContinuation<Bool, Never>] = [:]
        /// Every job being watched, and those of them found asked to stop.
        var registered: Set<UUID> = []
        var asked: Set<UUID> = []
    }

    private let state = Mutex(State())
    let store: any JobStore
    let bell: Doorbell
    let backstop: Duration
    let logger: Logger

    public init(store: any JobStore, bell: Doorbell, backstop: Duration = .seconds(2), logger: Logger) {
        self.store = store
        self.bell = bell
        self.backstop = backstop
        self.logger = logger
    }

    /// The bell's count of rings: read before a claim, passed to ``waitUntilAsked(_:ringsSince:)``.
    public var generation: UInt64 { bell.generation }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let generation = bell.generation
            let ids = state.withLock { Array($0.registered) }
            if !ids.isEmpty {
                do {
                    let asked = try await store.cancelRequested(among: ids)
                    if !asked.isEmpty { signal(asked) }
                } catch {
                    logger.warning("could not look for stopped jobs", metadata: ["error": "\(error)"])
                }
            }
            _ = await withGracefulShutdownHandler {
                await bell.wait(after: generation, timeout: ids.isEmpty ? .seconds(60) : backstop)
            } onGracefulShutdown: {
                self.bell.ring()
            }
        }
    }

    /// Returns `true` once the job is asked to stop, `false` when the calling task is cancelled
    /// first (the job ended). `generation` is the bell's count read before the job was claimed: a
    /// request that rang between the claim and this call is looked for at once.
    public func waitUntilAsked(_ job: UUID, ringsSince generation: UInt64) async -> Bool {
        state.withLock { _ = $0.registered.insert(job) }
        if bell.generation != generation { bell.ring() }
        defer {
            state.withLock { state in
                state.registered.remove(job)
                state.asked.remove(job)
            }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = state.withLock { state in
                    if state.asked.contains(job) { return true }
                    if Task.isCancelled { return false }
                    state.running[job] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { $0.running.removeValue(forKey: job) }?.resume(returning: false)
        }
    }

    private func signal(_ asked: Set<UUID>) {
        let waiters = state.withLock { state in
            var waiters: [CheckedContinuation<Bool, Never>] = []
            for job in asked where state.registered.contains(job) {
                state.asked.insert(job)
                if let waiter = state.running.removeValue(forKey: job) { waiters.append(waiter) }
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }
}
