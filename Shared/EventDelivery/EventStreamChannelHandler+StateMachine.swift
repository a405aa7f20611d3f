import HTTPTypes
import NIOHTTPTypes

extension EventStreamChannelHandler {
    /// The connection's decisions, apart from its I/O: who answers the request in progress, which
    /// request parts wait behind it (pipelining), when a held read or half-close goes on (back
    /// pressure), and how a response ends while the process drains. Each event returns what the
    /// handler must do, and the handler does only that; the transitions are tested on their own
    /// (`EventStreamStateMachineTests`), as Hummingbird tests `HTTPConnectionStateHandler.StateMachine`.
    struct StateMachine {
        /// Who answers the request in progress.
        enum Responder: Equatable {
            case nobody, router, stream
        }

        /// What to do with one request part.
        enum PartAction: Equatable {
            /// Pass it on to the router.
            case forward(HTTPRequestPart)
            /// Open an event stream for this request (its head; body and end are dropped).
            case openStream(HTTPRequest)
            /// A stream request's body or end: nobody reads it.
            case drop
            /// Kept until the response in progress ends.
            case wait
            /// More parts waiting than a client has any reason to pipeline: close the connection.
            case close
        }

        /// What to do once a response ended: the parts that waited and may go now, in order, and
        /// what was held back for them.
        struct Resumption: Equatable {
            var parts: [PartAction] = []
            /// Parts went to the router: tell it the read is complete.
            var readComplete = false
            /// The client's half-close, held until the requests before it were taken.
            var passInputClosed = false
            /// A read the router asked for while requests waited.
            var read = false
        }

        /// What to do once a stream's response ended.
        enum StreamEndAction: Equatable {
            /// Write the end and close once it is out (`Connection: close`, or the process drains:
            /// then within a shorter bound).
            case endAndClose(draining: Bool)
            /// Write the end, keep the connection, then take what waited (``resumeWaiting(serves:)``,
            /// once the end is written: a flush may call back into the handler, which must find
            /// the parts still waiting).
            case end
        }

        /// What to do with the client's half-close.
        enum InputClosedAction: Equatable {
            /// Requests sent before it wait: it goes on after them.
            case hold
            /// Pass it on; close first when a stream is answered (the browser has left).
            case pass(closingFirst: Bool)
        }

        private(set) var responding = Responder.nobody
        /// Whether the request being read goes to the router (its body and end follow its head).
        private var forwarding = false
        /// Request parts that came while another request was answered. An array: empty, it
        /// allocates nothing, and browsers do not pipeline.
        private var waiting: [HTTPRequestPart] = []
        /// The stream request asked for `Connection: close`.
        private(set) var closeAfterResponse = false
        /// The process is shutting down.
        private(set) var quiescing = false
        private var readHeld = false
        private var inputClosedHeld = false
        private let waitingLimit: Int

        init(waitingLimit: Int) {
            self.waitingLimit = waitingLimit
        }

        /// Whether request parts wait for the response in progress.
        var hasWaiting: Bool { !waiting.isEmpty }

        /// A request part arrived. `serves` says whether a request is an event stream's.
        mutating func received(_ part: HTTPRequestPart, serves: (HTTPRequest) -> Bool) -> PartAction {
            if waiting.isEmpty, let action = take(part, serves: serves) { return action }
            waiting.append(part)
            return waiting.count > waitingLimit ? .close : .wait
        }

        /// The router's channel asks for more input: read now, or once the waiting requests are taken,
        /// so that a pipelining client cannot make the handler buffer without bound.
        mutating func readRequested() -> Bool {
            if waiting.isEmpty { return true }
            readHeld = true
            return false
        }

        /// A parse error: the router would answer it with a 400 in the middle of a stream, or ahead
        /// of the requests that wait; then the connection is beyond repair (true: close it).
        func closesOnError() -> Bool {
            responding == .stream || !waiting.isEmpty
        }

        /// The router wrote the end of a response; nil when it was not answering (nothing changes).
        mutating func routerResponseEnded(serves: (HTTPRequest) -> Bool) -> Resumption? {
            guard responding == .router else { return nil }
            responding = .nobody
            return resumeWaiting(serves: serves)
        }

        /// The stream's response is complete (a short answer, or the end of its events).
        mutating func streamEnded() -> StreamEndAction {
            responding = .nobody
            if closeAfterResponse || quiescing { return .endAndClose(draining: quiescing) }
            return .end
        }

        /// The process is shutting down; true when a stream is answered: it ends first, with a
        /// short retry (the router's connection handler would close the connection at once).
        mutating func quiesce() -> Bool {
            quiescing = true
            return responding == .stream
        }

        /// The client closed its side.
        mutating func inputClosed() -> InputClosedAction {
            if !waiting.isEmpty {
                // Requests sent before the half-close are answered first, a stream among them or not
                // (the close may come in a read of its own, while a stream is being opened).
                inputClosedHeld = true
                return .hold
            }
            return .pass(closingFirst: responding == .stream)
        }

        /// The connection is gone: nothing waits any more.
        mutating func release() {
            waiting.removeAll()
        }

        /// Handles `part` now, or returns nil when it must wait for the response in progress.
        private mutating func take(_ part: HTTPRequestPart, serves: (HTTPRequest) -> Bool) -> PartAction? {
            switch part {
            case .head(let request):
                guard responding == .nobody else { return nil }
                if serves(request) {
                    responding = .stream
                    forwarding = false
                    closeAfterResponse = request.headerFields[.connection]?.lowercased() == "close"
                    return .openStream(request)
                }
                responding = .router
                forwarding = true
                return .forward(part)
            case .body:
                return forwarding ? .forward(part) : .drop
            case .end:
                defer { forwarding = false }
                return forwarding ? .forward(part) : .drop
            }
        }

        /// Takes the parts that waited, in order, until one has to wait again, once nobody answers.
        mutating func resumeWaiting(serves: (HTTPRequest) -> Bool) -> Resumption {
            var resumption = Resumption()
            while let part = waiting.first, let action = take(part, serves: serves) {
                waiting.removeFirst()
                resumption.parts.append(action)
                resumption.readComplete = resumption.readComplete || responding == .router
            }
            guard waiting.isEmpty else { return resumption }
            if inputClosedHeld {
                inputClosedHeld = false
                resumption.passInputClosed = true
            }
            if readHeld {
                readHeld = false
                resumption.read = true
            }
            return resumption
        }
    }
}
