import Foundation
import Jobs
import Knowledge
import Logging
import Metrics
import EventLog
import Retrieval

/// The worker's handler: retrieves the material and the conversation, answers with an
/// ``AnswerEngine`` while streaming into the job's event log, then records the result in the
/// store and, after that, appends the terminal event.
public struct AssistantJobHandler: JobHandler {
    let store: any JobStore
    let retriever: Retriever
    let events: any EventLog
    let engine: any AnswerEngine
    /// Pieces closer together than this go out as one delta (``AnswerSpooler``).
    let pace: Duration
    let logger: Logger
    /// How many chunks the engine gets.
    let excerptCount = 5
    /// How many earlier messages of the conversation go into the prompt.
    let historyCount = 6

    public init(
        store: any JobStore, retriever: Retriever, events: any EventLog, engine: any AnswerEngine,
        pace: Duration = AnswerSpooler.defaultPace, logger: Logger
    ) {
        self.pace = pace
        self.store = store
        self.retriever = retriever
        self.events = events
        self.engine = engine
        self.logger = logger
    }

    public func process(_ job: Job) async throws(JobFailure) {
        guard let leaseToken = job.leaseToken else { throw JobFailure.leaseLost }
        // Attempts are counted at the claim: the first has no earlier events to number on from.
        let spooler = try await openSpooler(for: job, startsEmpty: job.attempts <= 1)
        do {
            try await answer(job, leaseToken: leaseToken, into: spooler)
        } catch {
            // A failed attempt's held text is dropped, and what it sent is in the log, before
            // finishFailed or the next attempt opens the log and numbers on from its end.
            spooler.stop()
            try? await spooler.flush()
            throw error
        }
    }

    private func answer(_ job: Job, leaseToken: UUID, into spooler: AnswerSpooler) async throws(JobFailure) {
        defer { spooler.stop() }
        do {
            _ = try spooler.append(.status(.processing))
        } catch {
            throw Self.spoolFailure(error)
        }

        let context = try await context(for: job)
        let extras = try await engine.answer(context) { piece in
            try spooler.receive(piece)
        }

        let answer: String
        let terminalId: Int
        do {
            answer = try spooler.finish()
            terminalId = spooler.nextEventId
            // The whole answer is in the log before the store says the job is done.
            try await spooler.flush()
        } catch {
            throw Self.spoolFailure(error)
        }
        let result = JobResult(
            jobId: job.id, answer: answer, sessionId: job.sessionId,
            nextSuggestions: extras.nextSuggestions, sources: extras.sources
        )
        // The store first: once it holds the result, nothing is lost whatever happens to the log.
        let recorded: Bool
        do {
            recorded = try await store.complete(jobId: job.id, leaseToken: leaseToken, result: result, usage: extras.usage, terminalEventId: terminalId)
        } catch {
            throw JobFailure(.storeUnavailable, message: "The answer could not be saved; retrying.", isTransient: true)
        }
        guard recorded else { throw JobFailure.leaseLost }
        if let usage = extras.usage {
            logger.info("answer cost", metadata: [
                "job": "\(job.id.lowercasedString)", "prompt_tokens": "\(usage.promptTokens)", "completion_tokens": "\(usage.completionTokens)",
            ])
        }
        do {
            _ = try spooler.append(.completed(result))
            try await spooler.flush()
        } catch {
            // Stream replicas find the result in the store once the log stays silent.
            logger.warning("terminal event not spooled", metadata: ["job": "\(job.id.lowercasedString)", "error": "\(error)"])
        }
    }

    /// The excerpts and history the engine answers from.
    func context(for job: Job) async throws(JobFailure) -> AnswerContext {
        let scope: KnowledgeScope
        switch job.kind {
        case .tutor:
            guard let courseId = job.courseId else {
                throw JobFailure(.courseNotFound, message: "The course of this question is unknown.", isTransient: false)
            }
            scope = .course(courseId)
        case .landing:
            scope = .landing
        }
        do {
            let excerpts = try await retriever.retrieve(job.question, scope: scope, limit: excerptCount)
            if excerpts.isEmpty {
                logger.notice("retrieval found no material", metadata: ["job": "\(job.id.lowercasedString)", "scope": "\(scope.key)"])
                Counter(label: "tutorline_retrieval_empty_total", dimensions: [("assistant", job.kind.rawValue)]).increment()
            }
            Counter(label: "tutorline_retrievals_total", dimensions: [("assistant", job.kind.rawValue)]).increment()
            let history = try await store.history(sessionId: job.sessionId, limit: historyCount)
            return AnswerContext(job: job, excerpts: excerpts, history: history.filter { $0.jobId != job.id })
        } catch {
            throw JobFailure(.storeUnavailable, message: "The course material could not be read; retrying.", isTransient: true)
        }
    }

    public func finishFailed(_ job: Job, failure: JobFailure) async {
        guard let leaseToken = job.leaseToken else { return }
        let spooler = try? await openSpooler(for: job, startsEmpty: false)
        // A stop keeps the text the browser was shown, which only the log knows: without the log,
        // record nothing; the lease runs out, and the next claim (flagged) stops it with the text.
        if failure == .cancelled && spooler == nil {
            logger.warning("stop not recorded: the event log cannot be read", metadata: ["job": "\(job.id.lowercasedString)"])
            return
        }
        // With no log at all, the failed event is the job's first.
        let terminalId = spooler?.nextEventId ?? 1
        // A stopped answer keeps what the browser was shown: the log's text, not the attempt's.
        let terminal: JobEvent = failure == .cancelled ? .stopped(answer: spooler?.textSent ?? "") : .failed(code: failure.code, message: failure.message)
        do {
            let recorded: Bool
            if case .stopped(let answer) = terminal {
                recorded = try await store.stop(jobId: job.id, leaseToken: leaseToken, answer: answer, terminalEventId: terminalId)
            } else {
                recorded = try await store.fail(jobId: job.id, leaseToken: leaseToken, code: failure.code, message: failure.message, terminalEventId: terminalId)
            }
            guard recorded else { return }
        } catch {
            // The lease runs out and the rescuer takes the job again: it is not lost.
            logger.error("failure not recorded", metadata: ["job": "\(job.id.lowercasedString)", "error": "\(error)"])
            return
        }
        _ = try? spooler?.append(terminal)
        try? await spooler?.flush()
    }

    private func openSpooler(for job: Job, startsEmpty: Bool) async throws(JobFailure) -> AnswerSpooler {
        do {
            return AnswerSpooler(writer: try await events.writer(for: job.id, startsEmpty: startsEmpty), attempt: job.attempts, pace: pace)
        } catch {
            throw Self.spoolFailure(error)
        }
    }

    static func spoolFailure(_ error: EventLogError) -> JobFailure {
        JobFailure(error.code == .unavailable ? .eventLogUnavailable : .spoolUnavailable, message: "The answer could not be delivered (\(error)).", isTransient: true)
    }
}
