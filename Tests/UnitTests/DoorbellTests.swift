import Jobs
import Testing

@Suite struct DoorbellTests {
    @Test func aRingWakesEveryWaiter() async {
        let bell = Doorbell()
        let generation = bell.generation
        async let first = bell.wait(after: generation, timeout: .seconds(30))
        async let second = bell.wait(after: generation, timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        bell.ring()
        #expect(await (first, second) == (true, true))
        #expect(bell.generation == generation + 1)
    }

    @Test func aRingBeforeTheWaitIsNotMissed() async {
        let quiet = Doorbell()
        #expect(await quiet.wait(after: quiet.generation, timeout: .milliseconds(10)) == false)
        let bell = Doorbell()
        let generation = bell.generation
        bell.ring()
        #expect(await bell.wait(after: generation, timeout: .seconds(30)))
    }
}
