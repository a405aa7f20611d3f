import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Claims jobs and runs them through a ``JobHandler``: bounded concurrency, leases kept alive
/// while a job runs, transient failures retried with backoff, expired leases rescued.
public struct JobWorker: Service {
    public struct Configuration: Sendable {
        /// How many jobs run at once.
        public var concurrency: Int = 4
        /// How long a claim holds a job before the rescuer may take it back.
        public var lease: Duration = .seconds(30)
        /// How often an idle worker looks for work without a wake-up (the backstop poll).
        public var pollInterval: Duration = .seconds(1)
        /// How often expired leases are returned to the queue.
        public var rescueInterval: Duration = .seconds(5)
        /// On graceful shutdown, how long running jobs may go on before they are released to the queue.
        public var shutdownGrace: Duration = .seconds(20)
        public var retry: RetryPolicy = .init()

        public init() {}
    }

    let store: any JobStore
    let handler: any JobHandler
    let doorbell: Doorbell
    let cancellations: JobCancellations?
    let configuration: Configuration
    let logger: Logger

    /// - Parameters:
    ///   - doorbell: rung when new work may be waiting (Postgres `NOTIFY`, for example).
    ///   - cancellations: tells running jobs they were asked to stop (run it as a service too);
    ///     without it a job is stopped only when claimed after the request.
    public init(
        store: any JobStore, handler: any JobHandler, doorbell: Doorbell, cancellations: JobCancellations? = nil,
        configuration: Configuration, logger: Logger
    ) {
        self.store = store
        self.handler = handler
        self.doorbell = doorbell
        self.cancellations = cancellations
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        // On graceful shutdown the loops stop claiming; jobs already running finish.
        await withTaskGroup(of: Void.self) { group in
            for slot in 0..<max(configuration.concurrency, 1) {
                group.addTask { await self.claimLoop(slot: slot) }
            }
            group.addTask { await self.rescueLoop() }
            await group.waitForAll()
        }
    }

    private func claimLoop(slot: Int) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let generation = doorbell.generation
            let cancelGeneration = cancellations?.generation ?? 0
            let claimed: Job?
            do {
                claimed = try await store.claim(lease: configuration.lease)
            } catch {
                logger.warning("claim failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.pollInterval)
                continue
            }
            guard let job = claimed else {
                await waitForWork(after: generation)
                continue
            }
            await run(job, cancelGeneration: cancelGeneration)
        }
    }

    /// Waits for a ring, the poll interval, or shutdown, whichever comes first.
    private func waitForWork(after generation: UInt64) async {
        _ = await withGracefulShutdownHandler {
            await doorbell.wait(after: generation, timeout: configuration.pollInterval)
        } onGracefulShutdown: {
            doorbell.ring()
        }
    }

    private func rescueLoop() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let rescued = try await store.rescueExpiredLeases()
                if rescued > 0 {
                    logger.warning("requeued jobs whose lease expired", metadata: ["count": "\(rescued)"])
                    doorbell.ring()
                }
            } catch {
                logger.warning("lease rescue failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.rescueInterval) }
        }
    }

    /// Runs one claimed job while a sibling task keeps its lease alive and another watches for a
    /// request to stop it; a lost lease or a stop request cancels the job's task (and with it the
    /// model request). A job asked to stop before it ran is ended without running.
    func run(_ job: Job, cancelGeneration: UInt64 = 0) async {
        var jobLogger = logger
        jobLogger[metadataKey: "job"] = "\(job.id.lowercasedString)"
        let logger = jobLogger
        logger.info("job claimed", metadata: ["attempt": "\(job.attempts)"])
        guard let leaseToken = job.leaseToken else { return }
        if job.attempts == 1 {
            Timer(label: "tutorline_job_queue_wait_seconds").record(duration: .milliseconds(Int64(Date().timeIntervalSince(job.createdAt) * 1000)))
        }
        let started = ContinuousClock.now
        defer { Timer(label: "tutorline_job_attempt_seconds").record(duration: ContinuousClock.now - started) }

        let outcome: Result<Void, JobFailure> = job.cancelRequested ? .failure(.cancelled) : await withTaskGroup(of: Result<Void, JobFailure>?.self) { group in
            group.addTask {
                do throws(JobFailure) {
                    try await self.handler.process(job)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await self.keepLeaseAlive(jobId: job.id, leaseToken: leaseToken, logger: logger) ? nil : .failure(.leaseLost)
            }
            group.addTask {
                await self.graceAfterShutdown() ? .failure(.released) : nil
            }
            if let cancellations = self.cancellations {
                group.addTask {
                    await cancellations.waitUntilAsked(job.id, ringsSince: cancelGeneration) ? .failure(.cancelled) : nil
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(.leaseLost)
        }

        func count(_ outcome: String) {
            Counter(label: "tutorline_job_attempts_total", dimensions: [("outcome", outcome)]).increment()
        }
        switch outcome {
        case .success:
            count("completed")
            logger.info("job completed")
        case .failure(let failure) where failure == .leaseLost:
            count("lease_lost")
            logger.warning("lease lost; another worker owns the job now")
        case .failure(let failure) where failure == .cancelled:
            count("cancelled")
            logger.info("job stopped by its owner")
            await handler.finishFailed(job, failure: failure)
        case .failure(let failure) where failure == .released:
            count("released")
            logger.notice("shutting down: job released to the queue")
            _ = try? await store.requeue(jobId: job.id, leaseToken: leaseToken, after: .zero, reason: failure.message)
        case .failure(let failure) where failure.isTransient && job.attempts < job.maxAttempts:
            count("retried")
            // A provider that said how long to wait is believed, within the policy's longest delay
            // times six (a minute by default): a job is not parked for an hour on one header.
            let asked = min(failure.retryAfter ?? .zero, configuration.retry.maxDelay * 6)
            let delay = max(configuration.retry.delay(afterAttempt: job.attempts), asked)
            logger.warning("transient failure, retrying", metadata: ["code": "\(failure.code)", "delay": "\(delay)"])
            do {
                _ = try await store.requeue(jobId: job.id, leaseToken: leaseToken, after: delay, reason: failure.message)
            } catch {
                // The lease runs out and the rescuer requeues the job: nothing is lost.
                logger.error("requeue failed", metadata: ["error": "\(error)"])
            }
        case .failure(let failure):
            count("failed")
            logger.warning("job failed", metadata: ["code": "\(failure.code)", "error": "\(failure.message)"])
            await handler.finishFailed(job, failure: failure)
        }
    }

    /// Returns `true` once graceful shutdown began and the grace period passed; `false` when
    /// cancelled first (the job ended).
    private func graceAfterShutdown() async -> Bool {
        let (shutdown, continuation) = AsyncStream<Void>.makeStream()
        let began = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await _ in shutdown { return true }
                return false
            } onGracefulShutdown: {
                continuation.yield()
            }
        } onCancel: {
            continuation.finish()
        }
        guard began, !Task.isCancelled else { return false }
        do {
            try await Task.sleep(for: configuration.shutdownGrace)
            return true
        } catch {
            return false
        }
    }

    /// Extends the lease every third of its length; returns `false` once the lease is lost,
    /// and never returns otherwise (the caller cancels it when the job ends).
    private func keepLeaseAlive(jobId: UUID, leaseToken: UUID, logger: Logger) async -> Bool {
        // The lease runs from the claim; if no extension succeeds before it would expire, another
        // worker may hold the job by now, and this one must stop writing its spool file.
        var expires = ContinuousClock.now + configuration.lease
        while true {
            do {
                try await Task.sleep(for: configuration.lease / 3)
            } catch {
                return true
            }
            let attempt = ContinuousClock.now
            do {
                if try await !store.extendLease(jobId: jobId, leaseToken: leaseToken, by: configuration.lease) {
                    return false
                }
                expires = attempt + configuration.lease
            } catch {
                // A store hiccup is no proof the lease is lost; try again at the next tick, unless
                // the lease has run out meanwhile.
                logger.warning("lease extension failed", metadata: ["error": "\(error)"])
                if ContinuousClock.now + configuration.lease / 3 >= expires { return false }
            }
        }
    }
}
