import Foundation
import Jobs
import Metrics
import EventLog
import Synchronization

/// Routes spool changes, scheduled wake-ups and store verdicts to the connections waiting on jobs:
/// one registry per stream process, so that one inotify watch and one clock serve every connection.
///
/// Wake-ups sit in a timer wheel of `granularity`-wide slots: each connection is woken only when
/// its own heartbeat or timeout is due, so no instant wakes all of them at once. Slots are 10 ms
/// wide: browsers that came together (a page of 10,000 in a few seconds) fall into many small
/// slots, not a few large ones that hold up the events of every other connection on their loops.
public final class DeliveryHub: Sendable {
    struct Entry {
        var mailboxes: [DeliveryMailbox] = []
        /// The last spool activity seen for the job (or when the first connection came).
        var lastActivity: ContinuousClock.Instant
    }

    struct State {
        var jobs: [UUID: Entry] = [:]
        var connections = 0
        /// Slot number → the mailboxes to wake then. A connection that ended stays until its slot
        /// passes; the wake goes nowhere.
        var wheel: [Int64: [DeliveryMailbox]] = [:]
        var lastFiredSlot: Int64 = 0
    }

    private let state = Mutex(State())
    private let origin = ContinuousClock.now
    /// The wheel's resolution: how late past its due time a wake-up may come.
    public let granularity: Duration

    public init(granularity: Duration = .milliseconds(10)) {
        self.granularity = granularity > .zero ? granularity : .milliseconds(100)
    }

    /// The number of connections waiting.
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// Registers a connection for a job's signals until the subscription is released.
    public func subscribe(job: UUID) -> DeliverySubscription {
        let mailbox = DeliveryMailbox()
        state.withLock { state in
            state.connections += 1
            state.jobs[job, default: Entry(lastActivity: .now)].mailboxes.append(mailbox)
            Gauge(label: "tutorline_sse_connections").record(state.connections)
        }
        return DeliverySubscription(hub: self, job: job, mailbox: mailbox)
    }

    func unsubscribe(job: UUID, mailbox: DeliveryMailbox) {
        state.withLock { state in
            guard let index = state.jobs[job]?.mailboxes.firstIndex(where: { $0 === mailbox }) else { return }
            state.jobs[job]?.mailboxes.remove(at: index)
            state.connections -= 1
            Gauge(label: "tutorline_sse_connections").record(state.connections)
            if state.jobs[job]?.mailboxes.isEmpty == true { state.jobs[job] = nil }
        }
    }

    /// Called by the event log's watcher (inotify on the spool, LISTEN on Postgres).
    public func logChanged(_ change: EventLogChange) {
        switch change {
        case .job(let job):
            // Every append comes through here: one lookup, and nothing for jobs nobody waits on.
            let mailboxes = state.withLock { state -> [DeliveryMailbox] in
                guard let index = state.jobs.index(forKey: job) else { return [] }
                state.jobs.values[index].lastActivity = .now
                return state.jobs.values[index].mailboxes
            }
            for mailbox in mailboxes { mailbox.post(.logChanged) }
        case .unknown:
            // The watcher lost track (queue overflow): everyone looks at their file once.
            for mailbox in allMailboxes() { mailbox.post(.logChanged) }
        }
    }

    /// The jobs that have a connection waiting on this process.
    public func watchedJobs() -> Set<UUID> {
        state.withLock { Set($0.jobs.keys) }
    }

    /// Ends every stream with a short `retry:` (this process lost its event log: the browsers
    /// should move to a replica that has it).
    public func drainAll() {
        for mailbox in allMailboxes() { mailbox.post(.draining) }
    }

    /// Every connection's mailbox, taken under the lock and posted to outside it.
    private func allMailboxes() -> [DeliveryMailbox] {
        state.withLock { state in state.jobs.values.flatMap(\.mailboxes) }
    }

    /// Wakes `mailbox` with `.due` at `instant` or up to one granularity later.
    public func schedule(_ mailbox: DeliveryMailbox, at instant: ContinuousClock.Instant) {
        let slot = slot(of: instant, roundingUp: true)
        state.withLock { state in
            state.wheel[max(slot, state.lastFiredSlot + 1), default: []].append(mailbox)
        }
    }

    /// Wakes the connections whose time has come; the clock calls this every granularity.
    public func fireDue(now: ContinuousClock.Instant = .now) {
        let current = slot(of: now, roundingUp: false)
        let due = state.withLock { state -> [DeliveryMailbox] in
            guard current > state.lastFiredSlot else { return [] }
            var due: [DeliveryMailbox] = []
            if current - state.lastFiredSlot <= Int64(state.wheel.count) {
                for slot in (state.lastFiredSlot + 1)...current {
                    if let mailboxes = state.wheel.removeValue(forKey: slot) { due += mailboxes }
                }
            } else {
                // A long pause (a stopped process): cheaper to scan the wheel than every missed slot.
                for slot in state.wheel.keys where slot <= current {
                    due += state.wheel.removeValue(forKey: slot) ?? []
                }
            }
            state.lastFiredSlot = current
            return due
        }
        for mailbox in due { mailbox.post(.due) }
    }

    /// The jobs whose spool has been silent for at least `silence`.
    public func silentJobs(for silence: Duration) -> [UUID] {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.jobs.compactMap { job, entry in now - entry.lastActivity >= silence ? job : nil }
        }
    }

    /// Delivers the store's word on jobs that ended while their spool stayed silent.
    public func deliver(ended jobs: [Job]) {
        for job in jobs where job.status.isTerminal {
            let mailboxes = state.withLock { $0.jobs[job.id]?.mailboxes ?? [] }
            for mailbox in mailboxes { mailbox.post(.stored(job)) }
        }
    }

    private func slot(of instant: ContinuousClock.Instant, roundingUp: Bool) -> Int64 {
        let slots = (instant - origin) / granularity
        return Int64(roundingUp ? slots.rounded(.up) : slots.rounded(.down))
    }
}
