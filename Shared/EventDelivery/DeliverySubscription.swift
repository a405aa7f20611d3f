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

    /// Calls `notify` when signals are waiting; the connection then calls ``take()``.
    public func onSignal(_ notify: @escaping @Sendable () -> Void) { mailbox.onSignal(notify) }

    /// Forgets the notification set with ``onSignal(_:)``.
    public func stopSignals() { mailbox.stop() }

    /// Everything that arrived for this connection since it last looked.
    public func take() -> DeliveryWake { mailbox.take() }

    /// Asks the hub for a `.due` wake-up at `instant` (up to one granularity later).
    public func wake(at instant: ContinuousClock.Instant) { hub.schedule(mailbox, at: instant) }

    /// Tells this connection to end now (graceful shutdown).
    public func drain() { mailbox.post(.draining) }

    deinit {
        mailbox.stop()
        hub.unsubscribe(job: job, mailbox: mailbox)
    }
}
