import Foundation

/// A connection's registration with the hub; released when the connection ends.
public final class DeliverySubscription: Sendable {
    let hub: DeliveryHub
    let job: UUID
    let mailbox: DeliveryMailbox

    init(hub: DeliveryHub, job: UUID, mailbox: DeliveryMailbox) {
        self.hub = hub
        self.job = job
        self.mailbox = mailbox
    }

    /// Everything that arrived for this connection since it last looked, waiting until something does.
    public func next() async -> DeliveryWake { await mailbox.next() }

    /// Asks the hub for a `.due` wake-up at `instant` (up to one granularity later).
    public func wake(at instant: ContinuousClock.Instant) { hub.schedule(mailbox, at: instant) }

    /// Tells this connection to end now (graceful shutdown).
    func drain() { mailbox.post(.draining) }

    /// Tells this connection that its client went away.
    public func clientClosed() { mailbox.post(.closed) }

    deinit { hub.unsubscribe(job: job, mailbox: mailbox) }
}
