import HTTPSupport
import Testing

/// The route table tells an address that exists (with its methods) from one that does not.
struct RouteTableTests {
    @Test func anAddressMatchesItsRoutesPatternsAndNoOther() {
        let table = RouteTable()
        table.load(["GET /assistant/sessions/{sessionId}", "DELETE /assistant/sessions/{sessionId}", "GET /assistant/sessions", "GET /healthz", "POST /assistant/query"])
        #expect(table.methods(for: "/assistant/sessions/7f1c") == ["DELETE", "GET"])
        #expect(table.methods(for: "/assistant/sessions/7f1c/") == ["DELETE", "GET"], "a trailing slash is the same address")
        #expect(table.methods(for: "/assistant/sessions") == ["GET"])
        #expect(table.methods(for: "/assistant/query") == ["POST"])
        #expect(table.methods(for: "/assistant/sessions/7f1c/more") == [])
        #expect(table.methods(for: "/nowhere") == [])
        #expect(table.methods(for: "/") == [])
    }
}
