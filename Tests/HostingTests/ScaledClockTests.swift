import Foundation
import Testing
@testable import Hosting

/// Issue 21 item 6: the wall clock is stepped, monotonic time never is (the router-level test is in AppTests).
@Suite("Scaled clock")
struct ScaledClockTests {
    @Test("a step moves the wall clock and not monotonic time; both start at the origin")
    func step() {
        let origin = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ScaledClock(origin: origin, scale: 1)
        #expect(clock.monotonicNow() >= origin && clock.now() >= origin)
        clock.step(by: -7200)
        clock.step(by: 300 * 86_400)
        // Both read the system clock one after the other: the difference is the steps, give or take that moment.
        let difference = clock.now().timeIntervalSince(clock.monotonicNow())
        #expect(abs(difference - (300 * 86_400 - 7200)) < 5)
        #expect(clock.monotonicNow().timeIntervalSince(origin) < 3600, "monotonic time did not follow the steps")
    }

    @Test("a scaled clock runs faster than real time")
    func scale() async throws {
        let origin = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ScaledClock(origin: origin, scale: 3600)
        try await until("an hour of simulated time") { clock.monotonicNow().timeIntervalSince(origin) >= 3600 }
        #expect(clock.scale == 3600)
    }
}
