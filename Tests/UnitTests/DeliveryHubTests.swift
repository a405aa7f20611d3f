import EventDelivery
import Foundation
import Jobs
import Synchronization
import Testing

@Suite struct DeliveryHubTests {
    static func job(_ id: UUID, status: JobStatus) -> Job {
        Job(
            id: id, kind: .landing, status: status, question: "q", courseRef: nil, lessonId: nil, sessionId: UUID(),
            userId: "anonymous", attempts: 1, maxAttempts: 3, leaseToken: nil, lockedUntil: nil, result: nil,
            errorCode: "x", errorMessage: "x", terminalEventId: nil, createdAt: Date(), updatedAt: Date()
        )
    }

    @Test func signalsThatArriveWhileAConnectionIsBusyAreTakenAtOnce() {
        let hub = DeliveryHub()
        let job = UUID()
        let subscription = hub.subscribe(job: job)
        for _ in 0..<5 { hub.logChanged(.job(job)) }
        hub.deliver(ended: [Self.job(job, status: .failed)])
        let wake = subscription.take()
        #expect(wake.logChanged)
        #expect(wake.stored?.id == job)
        #expect(!wake.due && !wake.draining)
        // Nothing is left over.
        #expect(subscription.take().isEmpty)
    }

    @Test func aBurstOfSignalsNotifiesTheConnectionOnceUntilItTakesThem() {
        let hub = DeliveryHub()
        let job = UUID()
        let subscription = hub.subscribe(job: job)
        hub.logChanged(.job(job))
        let notified = Counter()
        // Signals that came before the connection asked are reported at once.
        subscription.onSignal { notified.increment() }
        #expect(notified.value == 1)
        for _ in 0..<10 { hub.logChanged(.job(job)) }
        #expect(notified.value == 1)
        #expect(subscription.take().logChanged)
        hub.logChanged(.job(job))
        #expect(notified.value == 2)
    }

    @Test func aChangeReachesOnlyTheConnectionsOfItsJobUnlessTheWatcherLostTrack() {
        let hub = DeliveryHub()
        let (first, second) = (UUID(), UUID())
        let a = hub.subscribe(job: first)
        let b = hub.subscribe(job: second)
        hub.logChanged(.job(first))
        #expect(a.take().logChanged)
        #expect(b.take().isEmpty)
        hub.logChanged(.unknown)
        #expect(a.take().logChanged)
        #expect(b.take().logChanged)
    }

    @Test func aConnectionIsWokenAtItsOwnTimeNeverBefore() {
        let hub = DeliveryHub(granularity: .milliseconds(100))
        let start = ContinuousClock.now
        let early = hub.subscribe(job: UUID())
        let late = hub.subscribe(job: UUID())
        early.wake(at: start + .seconds(1))
        late.wake(at: start + .seconds(5))

        hub.fireDue(now: start + .milliseconds(850))
        #expect(early.take().due == false)

        hub.fireDue(now: start + .seconds(2))
        #expect(early.take().due)
        #expect(late.take().due == false)

        // A pause longer than the wheel (a stopped process) still wakes everyone past due.
        hub.fireDue(now: start + .seconds(3600))
        #expect(late.take().due)
    }

    @Test func aReleasedConnectionIsNoLongerNotified() {
        let hub = DeliveryHub()
        let job = UUID()
        let notified = Counter()
        var subscription: DeliverySubscription? = hub.subscribe(job: job)
        subscription?.onSignal { notified.increment() }
        // Its positive twin first: held, the same subscription is notified by the same calls.
        subscription?.wake(at: .now)
        hub.fireDue(now: .now + .seconds(1))
        #expect(notified.value == 1, "a held connection's wake-up reaches it")
        _ = subscription?.take()
        hub.logChanged(.job(job))
        #expect(notified.value == 2, "a held connection hears its job's change")
        _ = subscription?.take()
        subscription?.wake(at: .now)
        subscription = nil
        // The wheel still holds the mailbox until its slot passes; the wake goes nowhere.
        hub.fireDue(now: .now + .seconds(1))
        hub.logChanged(.job(job))
        #expect(notified.value == 2, "released: neither reaches it any more")
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

/// Counts notifications, from whichever thread they come.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
