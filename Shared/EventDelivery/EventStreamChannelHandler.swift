import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Serves event streams on the connection's event loop, and passes every other request on to
/// the router behind it (Hummingbird's, through its `additionalChannelHandlers`).
///
/// Why not a route: Hummingbird answers each connection in a task, and Swift's task allocator
/// keeps every stack slab a task ever reached; a browser waiting in a route kept ~15 KB of them.
/// Here a waiting browser is its channel, this handler and its session state, and the event loop
/// writes each event as the hub signals it. The router's task for the connection stays shallow:
/// it waits for a request that this handler never passes on.
///
/// Requests are answered in order: one that arrives while another is answered (pipelining) waits.
public final class EventStreamChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// More waiting parts than a client has any reason to pipeline: it is dropped.
    static let waitingLimit = 64
    /// How long a browser may leave its socket full before it counts as gone.
    private let stallLimit: TimeAmount

    private let responder: any EventStreamResponder
    private let logger: Logger
    private var context: ChannelHandlerContext?
    /// Who answers, what waits, what is held back: the decisions; this class does the I/O.
    private var state = StateMachine(waitingLimit: EventStreamChannelHandler.waitingLimit)
    private var opening: Task<Void, Never>?
    private var tail: JobEventTail?
    /// Closes a connection whose socket stayed full for `stallLimit`.
    private var stallCheck: Scheduled<Void>?

    /// - Parameter stallLimit: how long a browser may leave its socket full (it holds at most
    ///   about one replay chunk unsent meanwhile) before the connection is closed.
    public init(responder: any EventStreamResponder, stallLimit: TimeAmount = .seconds(15), logger: Logger) {
        self.responder = responder
        self.stallLimit = stallLimit
        self.logger = logger
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        release()
        self.context = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let responder = self.responder
        perform(state.received(unwrapInboundIn(data)) { responder.serves($0) }, context: context)
    }

    public func read(context: ChannelHandlerContext) {
        if state.readRequested() { context.read() }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state.closesOnError() {
            context.close(promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A browser that reads slowly is not sent more until its socket drains (see `signalled`).
        if context.channel.isWritable {
            stallCheck?.cancel()
            stallCheck = nil
            if let tail { tail.isBehind ? catchUp() : signalled() }
        }
        context.fireChannelWritabilityChanged()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = unwrapOutboundIn(data) else { return }
        let responder = self.responder
        if let resumption = state.routerResponseEnded(serves: { responder.serves($0) }) {
            perform(resumption, context: context)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, state.quiesce() {
            tail?.drain()
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            switch state.inputClosed() {
            case .hold:
                return
            case .pass(let closingFirst):
                if closingFirst { context.close(promise: nil) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Does what the state machine decided for one request part.
    private func perform(_ action: StateMachine.PartAction, context: ChannelHandlerContext) {
        switch action {
        case .forward(let part):
            context.fireChannelRead(wrapInboundOut(part))
        case .openStream(let request):
            open(request, context: context)
        case .drop, .wait:
            break
        case .close:
            context.close(promise: nil)
        }
    }

    /// Takes the requests that waited, and lets go of what was held back for them.
    private func perform(_ resumption: StateMachine.Resumption, context: ChannelHandlerContext) {
        for action in resumption.parts { perform(action, context: context) }
        if resumption.readComplete { context.fireChannelReadComplete() }
        if resumption.passInputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        if resumption.read { context.read() }
    }

    private func open(_ request: HTTPRequest, context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let responder = self.responder
        // The task ends once the stream is open: its stack (signature check, store lookup, spool
        // read) is not kept while the browser waits.
        opening = Task {
            let answer = await responder.open(request)
            eventLoop.execute { handler.value.opened(answer) }
        }
    }

    private func opened(_ answer: EventStreamAnswer) {
        opening = nil
        // A client that left while the stream opened: the answer, and its subscription, go unused.
        guard let context, context.channel.isActive, state.responding == .stream else { return }
        switch answer {
        case .response(var head, let body):
            head.headerFields[.contentLength] = String(body.readableBytes)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(body)), promise: nil) }
            endResponse(context: context)
        case .stream(let head, let session):
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            let (output, tail) = session.start()
            context.write(wrapOutboundOut(.body(output)), promise: nil)
            guard var tail else {
                endResponse(context: context)
                return
            }
            tail.scheduleWake()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            tail.onSignal { eventLoop.execute { handler.value.signalled() } }
            // Before the flush, which may call back (writability) and must find the tail.
            self.tail = tail
            context.flush()
            if state.quiescing { tail.drain() }
            if self.tail?.isBehind == true { continueCatchingUp(context: context) }
        }
        // A client that reads nothing: what was written stays unsent for the stall limit at most.
        if context.channel.isActive, !context.channel.isWritable { watchStall(context: context) }
    }

    /// The hub has signals for this connection's job.
    private func signalled() {
        advance { try $0.next() }
    }

    /// The next chunk of a replay (or of a burst) longer than one chunk.
    private func catchUp() {
        advance { try $0.catchUp() }
        // Caught up: signals that came meanwhile wait in the mailbox, their notice already spent
        // (a full socket leaves them there); take them now, or the stream would wait for good.
        if let tail, !tail.isBehind { signalled() }
    }

    /// Sends the next chunk once the one before has left: on the loop's next turn while the socket
    /// has room, on writability otherwise. A connection never holds more than about a chunk unsent.
    private func continueCatchingUp(context: ChannelHandlerContext) {
        guard context.channel.isWritable else {
            watchStall(context: context)
            return
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute { handler.value.catchUp() }
    }

    /// Takes one step of the tail and writes what it gives.
    private func advance(_ take: (inout JobEventTail) throws -> JobEventTail.Step) {
        guard var tail, let context else { return }
        // Signals stay merged in the mailbox while the socket is full; writability brings us back.
        guard context.channel.isWritable else {
            watchStall(context: context)
            return
        }
        let step: JobEventTail.Step
        do {
            step = try take(&tail)
        } catch {
            logger.warning("stream failed reading its spool", metadata: ["error": "\(error)"])
            self.tail = nil
            context.close(promise: nil)
            return
        }
        // The state first: a flush can change writability, which calls back into this handler
        // before `writeAndFlush` returns, and that step must start where this one ended.
        if step.ends {
            self.tail = nil
        } else {
            tail.scheduleWake()
            self.tail = tail
        }
        if let output = step.output { context.writeAndFlush(wrapOutboundOut(.body(output)), promise: nil) }
        if step.ends {
            endResponse(context: context)
            return
        }
        if self.tail?.isBehind == true { continueCatchingUp(context: context) }
    }

    /// Gives a full socket `stallLimit` to drain; at once when the process is shutting down.
    private func watchStall(context: ChannelHandlerContext) {
        if state.quiescing {
            context.close(promise: nil)
            return
        }
        guard stallCheck == nil else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        stallCheck = context.eventLoop.scheduleTask(in: stallLimit) {
            handler.value.stallCheck = nil
            guard let context = handler.value.context, !context.channel.isWritable else { return }
            context.close(promise: nil)
        }
    }

    private func endResponse(context: ChannelHandlerContext) {
        switch state.streamEnded() {
        case .endAndClose(let draining):
            // Closed once the last bytes (a drain's `retry: 250`) are out, or after a bound for a
            // client that stopped reading: the stall limit, as for any reader, but never more than
            // 5 s while the process shuts down.
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            let channel = context.channel
            let limit = draining ? min(stallLimit, .seconds(5)) : stallLimit
            let bound = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
            done.futureResult.whenComplete { _ in
                bound.cancel()
                channel.close(promise: nil)
            }
        case .end:
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            // The end of a long replay may still wait in a full socket: it gets the stall limit too.
            if !context.channel.isWritable { watchStall(context: context) }
            let responder = self.responder
            perform(state.resumeWaiting { responder.serves($0) }, context: context)
        }
    }

    /// Lets go of the stream: its subscription leaves the hub.
    private func release() {
        stallCheck?.cancel()
        stallCheck = nil
        opening?.cancel()
        opening = nil
        tail = nil
        state.release()
    }
}

@available(*, unavailable)
extension EventStreamChannelHandler: Sendable {}
