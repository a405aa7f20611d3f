import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Testing

@testable import EventDelivery

/// The stream handler's decisions, one transition at a time: pipelining, half-close, back
/// pressure and drain, without a channel.
@Suite struct EventStreamStateMachineTests {
    typealias Machine = EventStreamChannelHandler.StateMachine

    static func request(_ path: String, close: Bool = false) -> HTTPRequest {
        var request = HTTPRequest(method: .get, scheme: nil, authority: "127.0.0.1", path: path)
        if close { request.headerFields[.connection] = "close" }
        return request
    }

    /// Stream requests are those under /stream/, as the stream service's responder decides.
    static func serves(_ request: HTTPRequest) -> Bool { request.path?.hasPrefix("/stream/") == true }

    static let body = HTTPRequestPart.body(ByteBuffer(string: "x"))

    @Test func aStreamRequestIsOpenedAndItsBodyDroppedWhileOtherRequestsGoToTheRouter() {
        var machine = Machine(waitingLimit: 4)
        let stream = Self.request("/stream/1")
        let step1 = machine.received(.head(stream), serves: Self.serves)
        #expect(step1 == .openStream(stream))
        #expect(machine.responding == .stream)
        let step2 = machine.received(Self.body, serves: Self.serves)
        #expect(step2 == .drop)
        let step3 = machine.received(.end(nil), serves: Self.serves)
        #expect(step3 == .drop)
        let step4 = machine.streamEnded()
        #expect(step4 == .end)
        #expect(machine.responding == .nobody)
        let resumed = machine.resumeWaiting(serves: Self.serves)
        #expect(resumed == .init(), "nothing waited")

        let health = Self.request("/health")
        let step5 = machine.received(.head(health), serves: Self.serves)
        #expect(step5 == .forward(.head(health)))
        #expect(machine.responding == .router)
        let step6 = machine.received(Self.body, serves: Self.serves)
        #expect(step6 == .forward(Self.body))
        let step7 = machine.received(.end(nil), serves: Self.serves)
        #expect(step7 == .forward(.end(nil)))
        let step8 = machine.routerResponseEnded(serves: Self.serves)
        #expect(step8 == .init())
        #expect(machine.responding == .nobody)
    }

    @Test func aRequestPipelinedBehindAStreamWaitsAndGoesOnWhenTheStreamEnds() {
        var machine = Machine(waitingLimit: 4)
        let stream = Self.request("/stream/1")
        let health = Self.request("/health")
        _ = machine.received(.head(stream), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        let step9 = machine.received(.head(health), serves: Self.serves)
        #expect(step9 == .wait)
        let step10 = machine.received(.end(nil), serves: Self.serves)
        #expect(step10 == .wait)
        #expect(machine.hasWaiting)
        // Back pressure: the socket is not read while requests wait.
        let step11 = machine.readRequested()
        #expect(step11 == false)
        // A parse error now would put a 400 ahead of the waiting request.
        #expect(machine.closesOnError())

        let ended = machine.streamEnded()
        #expect(ended == .end)
        // The end is written before the waiting parts are taken: meanwhile they still wait.
        #expect(machine.hasWaiting)
        let next = Self.request("/health/next")
        let more = machine.received(.head(next), serves: Self.serves)
        #expect(more == .wait, "a request arriving during the end's flush queues behind the others")
        let resumed = machine.resumeWaiting(serves: Self.serves)
        // The read stays held while anything waits.
        #expect(resumed == .init(parts: [.forward(.head(health)), .forward(.end(nil))], readComplete: true, passInputClosed: false, read: false))
        #expect(machine.responding == .router)
        // The late request waits for the router's response to end; then the socket is read again.
        #expect(machine.hasWaiting)
        let routed = machine.routerResponseEnded(serves: Self.serves)
        #expect(routed == .init(parts: [.forward(.head(next))], readComplete: true, passInputClosed: false, read: true))
        #expect(!machine.hasWaiting)
        let step12 = machine.readRequested()
        #expect(step12)
    }

    @Test func aStreamPipelinedBehindARouterResponseOpensWhenThatResponseEnds() {
        var machine = Machine(waitingLimit: 4)
        let health = Self.request("/health")
        let stream = Self.request("/stream/2")
        let next = Self.request("/health")
        _ = machine.received(.head(health), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        let step13 = machine.received(.head(stream), serves: Self.serves)
        #expect(step13 == .wait)
        let step14 = machine.received(.end(nil), serves: Self.serves)
        #expect(step14 == .wait)
        let step15 = machine.received(.head(next), serves: Self.serves)
        #expect(step15 == .wait)

        // The stream opens; the request behind it waits on, and so does a read.
        let step16 = machine.routerResponseEnded(serves: Self.serves)
        #expect(step16 == .init(parts: [.openStream(stream), .drop]))
        #expect(machine.responding == .stream)
        #expect(machine.hasWaiting)
        let held = machine.readRequested()
        #expect(held == false, "the socket is not read while the request behind the stream waits")
        // Only the router's own end counts: a second end changes nothing while the stream answers.
        let step17 = machine.routerResponseEnded(serves: Self.serves)
        #expect(step17 == nil)
        #expect(machine.responding == .stream)
    }

    @Test func aHalfCloseWaitsForTheRequestsSentBeforeIt() {
        var machine = Machine(waitingLimit: 4)
        let stream = Self.request("/stream/1")
        let second = Self.request("/stream/2")
        _ = machine.received(.head(stream), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        _ = machine.received(.head(second), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        let step18 = machine.inputClosed()
        #expect(step18 == .hold)

        // The first stream ends: the second opens, and the half-close is passed on after it.
        let ended = machine.streamEnded()
        #expect(ended == .end)
        let resumed = machine.resumeWaiting(serves: Self.serves)
        #expect(resumed == .init(parts: [.openStream(second), .drop], readComplete: false, passInputClosed: true, read: false))
        #expect(machine.responding == .stream)
        #expect(!machine.hasWaiting)
    }

    @Test func aHalfCloseWithNothingWaitingGoesOnAndClosesOnlyAStream() {
        var idle = Machine(waitingLimit: 4)
        let step19 = idle.inputClosed()
        #expect(step19 == .pass(closingFirst: false))

        var routed = Machine(waitingLimit: 4)
        _ = routed.received(.head(Self.request("/health")), serves: Self.serves)
        let step20 = routed.inputClosed()
        #expect(step20 == .pass(closingFirst: false))
        #expect(routed.closesOnError() == false)

        var streaming = Machine(waitingLimit: 4)
        _ = streaming.received(.head(Self.request("/stream/1")), serves: Self.serves)
        _ = streaming.received(.end(nil), serves: Self.serves)
        let step20b = streaming.inputClosed()
        #expect(step20b == .pass(closingFirst: true), "a stream's browser closed its side: it has left")
    }

    @Test func morePartsWaitingThanTheLimitCloseTheConnection() {
        var machine = Machine(waitingLimit: 3)
        _ = machine.received(.head(Self.request("/stream/1")), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        var actions: [Machine.PartAction] = []
        for index in 0..<4 { actions.append(machine.received(.head(Self.request("/health/\(index)")), serves: Self.serves)) }
        #expect(actions == [.wait, .wait, .wait, .close])
    }

    @Test func aDrainEndsTheStreamFirstThenClosesWithinTheShutdownBound() {
        var machine = Machine(waitingLimit: 4)
        let step21 = machine.quiesce()
        #expect(step21 == false)
        #expect(machine.quiescing)

        var streaming = Machine(waitingLimit: 4)
        _ = streaming.received(.head(Self.request("/stream/1")), serves: Self.serves)
        let step22 = streaming.quiesce()
        #expect(step22)
        let step23 = streaming.streamEnded()
        #expect(step23 == .endAndClose(draining: true))
    }

    @Test func connectionCloseEndsTheConnectionWithTheStreamAndLeavesWhatWaits() {
        var machine = Machine(waitingLimit: 4)
        _ = machine.received(.head(Self.request("/stream/1", close: true)), serves: Self.serves)
        _ = machine.received(.end(nil), serves: Self.serves)
        #expect(machine.closeAfterResponse)
        let step24 = machine.received(.head(Self.request("/health")), serves: Self.serves)
        #expect(step24 == .wait)
        let step25 = machine.streamEnded()
        #expect(step25 == .endAndClose(draining: false))
        #expect(machine.hasWaiting)
        machine.release()
        #expect(!machine.hasWaiting)
    }

    @Test func aParseErrorDuringAStreamClosesAndOtherwiseGoesToTheRouter() {
        var machine = Machine(waitingLimit: 4)
        #expect(machine.closesOnError() == false)
        _ = machine.received(.head(Self.request("/stream/1")), serves: Self.serves)
        #expect(machine.closesOnError())
    }
}
