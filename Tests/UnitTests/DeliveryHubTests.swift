import EventDelivery
import Foundation
import Jobs
import Testing

@Suite struct DeliveryHubTests {
    static func job(_ id: UUID, status: JobStatus) -> Job {
        Job(
            id: id, kind: .landing, status: status, question: "q", courseRef: nil, lessonId: nil, sessionId: UUID(),
            userId: "anonymous", attempts: 1, maxAttempts: 3, leaseToken: nil, lockedUntil: nil, result: nil,
            errorCode: "x", errorMessage: "x", terminalEventId: nil, createdAt: Date(), updatedAt: Date()
        )
    }

    @Test func signalsThatArriveWhileAConnectionIsBusyAreTakenAtOnce() async {
        let hub = DeliveryHub()
        let job = UUID()
        let subscription = hub.subscribe(job: job)
        for _ in 0..<5 { hub.spoolChanged(.job(job)) }
        hub.deliver(ended: [Self.job(job, status: .failed)])
        let wake = await subscription.next()
        #expect(wake.spoolChanged)
        #expect(wake.stored?.id == job)
        #expect(!wake.due && !wake.closed && !wake.draining)
        // Nothing is left over: the next look waits for the next signal.
        subscription.clientClosed()
        let next = await subscription.next()
        #expect(next.closed && !next.spoolChanged && next.stored == nil)
    }

    @Test func aChangeReachesOnlyTheConnectionsOfItsJobUnlessTheWatcherLostTrack() async {
        let hub = DeliveryHub()
        let (first, second) = (UUID(), UUID())
        let a = hub.subscribe(job: first)
        let b = hub.subscribe(job: second)
        hub.spoolChanged(.job(first))
        #expect(await a.next().spoolChanged)
        b.clientClosed()
        #expect(await b.next().spoolChanged == false)
        hub.spoolChanged(.unknown)
        #expect(await a.next().spoolChanged)
        #expect(await b.next().spoolChanged)
    }

    @Test func aConnectionIsWokenAtItsOwnTimeNeverBefore() async {
        let hub = DeliveryHub(granularity: .milliseconds(100))
        let start = ContinuousClock.now
        let early = hub.subscribe(job: UUID())
        let late = hub.subscribe(job: UUID())
        early.wake(at: start + .seconds(1))
        late.wake(at: start + .seconds(5))

        hub.fireDue(now: start + .milliseconds(850))
        early.clientClosed()
        #expect(await early.next().due == false)

        hub.fireDue(now: start + .seconds(2))
        #expect(await early.next().due)
        late.clientClosed()
        #expect(await late.next().due == false)

        // A pause longer than the wheel (a stopped process) still wakes everyone past due.
        hub.fireDue(now: start + .seconds(3600))
        #expect(await late.next().due)
    }

    @Test func cancellingAWaitingConnectionEndsItsWait() async {
        let hub = DeliveryHub()
        let subscription = hub.subscribe(job: UUID())
        let waiting = Task { await subscription.next() }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        #expect(await waiting.value.closed)
    }

    @Test func releasingASubscriptionUnregistersIt() async {
        let hub = DeliveryHub()
        let job = UUID()
        var subscriptions = [hub.subscribe(job: job), hub.subscribe(job: job), hub.subscribe(job: UUID())]
        #expect(hub.connectionCount == 3)
        subscriptions.removeFirst()
        #expect(hub.connectionCount == 2)
        subscriptions.removeAll()
        #expect(hub.connectionCount == 0)
        #expect(hub.silentJobs(for: .zero).isEmpty)
    }
}
