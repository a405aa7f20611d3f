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

    /// Who answers the request in progress.
    private enum Responder {
        case nobody, router, stream
    }

    /// More waiting parts than a client has any reason to pipeline: it is dropped.
    static let waitingLimit = 64

    private let responder: any EventStreamResponder
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var responding = Responder.nobody
    /// Whether the body and end of the request being read go to the router; a stream request's are dropped.
    private var forwarding = false
    /// Request parts that came while another request was being answered. An array: empty, it
    /// allocates nothing, and browsers do not pipeline.
    private var waiting: [HTTPRequestPart] = []
    private var opening: Task<Void, Never>?
    private var tail: JobEventTail?
    private var closeAfterResponse = false
    private var quiescing = false

    public init(responder: any EventStreamResponder, logger: Logger) {
        self.responder = responder
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
        let part = unwrapInboundIn(data)
        if waiting.isEmpty, receive(part, context: context) { return }
        waiting.append(part)
        if waiting.count > Self.waitingLimit { context.close(promise: nil) }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if case .end = unwrapOutboundIn(data), responding == .router {
            responding = .nobody
            resumeWaiting(context: context)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            // The router's connection handler would close the connection at once (it sees no
            // request in progress): end the stream first, with a short retry, then close.
            if responding == .stream {
                tail?.drain()
                return
            }
        }
        if let event = event as? ChannelEvent, event == .inputClosed, responding == .stream {
            // The browser closed its side: it has left.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Handles `part` now, or returns false when it must wait for the response in progress.
    private func receive(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        switch part {
        case .head(let request):
            guard responding == .nobody else { return false }
            if responder.serves(request) {
                responding = .stream
                forwarding = false
                closeAfterResponse = request.headerFields[.connection]?.lowercased() == "close"
                open(request, context: context)
            } else {
                responding = .router
                forwarding = true
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body:
            if forwarding { context.fireChannelRead(wrapInboundOut(part)) }
        case .end:
            if forwarding { context.fireChannelRead(wrapInboundOut(part)) }
            forwarding = false
        }
        return true
    }

    /// Takes the requests that waited, in order, until one has to wait again.
    private func resumeWaiting(context: ChannelHandlerContext) {
        var forwarded = false
        while let part = waiting.first, receive(part, context: context) {
            waiting.removeFirst()
            forwarded = forwarded || responding == .router
        }
        if forwarded { context.fireChannelReadComplete() }
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
        guard let context, context.channel.isActive, responding == .stream else { return }
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
            context.flush()
            tail.scheduleWake()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            tail.onSignal { eventLoop.execute { handler.value.signalled() } }
            self.tail = tail
            if quiescing { tail.drain() }
        }
    }

    /// The hub has signals for this connection's job.
    private func signalled() {
        guard var tail, let context else { return }
        let step: JobEventTail.Step
        do {
            step = try tail.next()
        } catch {
            logger.warning("stream failed reading its spool", metadata: ["error": "\(error)"])
            self.tail = nil
            context.close(promise: nil)
            return
        }
        if let output = step.output { context.writeAndFlush(wrapOutboundOut(.body(output)), promise: nil) }
        if step.ends {
            self.tail = nil
            endResponse(context: context)
            return
        }
        tail.scheduleWake()
        self.tail = tail
    }

    private func endResponse(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        responding = .nobody
        if closeAfterResponse || quiescing {
            context.close(promise: nil)
        } else {
            resumeWaiting(context: context)
        }
    }

    /// Lets go of the stream: its subscription leaves the hub.
    private func release() {
        opening?.cancel()
        opening = nil
        tail = nil
        waiting.removeAll()
    }
}

@available(*, unavailable)
extension EventStreamChannelHandler: Sendable {}
