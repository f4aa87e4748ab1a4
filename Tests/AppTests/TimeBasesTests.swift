import Foundation
import Testing
import ChargePoint
import EVSECore
import Simulator
import WebUI
@testable import App
@testable import Runtimes

/// Issue 21 item 6: the wall clock (timestamps; stepped by the backend's or the browser's time) and monotonic time (the
/// simulator's physics) are separate. Found with an independent central system whose clock was off: a backend two
/// hours behind froze the simulated vehicles for two hours, and a clock far ahead made the board integrate the whole
/// gap in one tick.
@Suite("Two time bases")
struct TimeBasesTests {
    /// Ticks the runtime until the energy charged on connector 1 exceeds `wh` (real time passes between ticks; the
    /// vehicle draws about 3 Wh a second). Fails after `seconds` of real time: generous, for a machine busy with the
    /// whole test suite; it returns as soon as the energy is there.
    static func charged(beyond wh: Double, _ runtime: StationRuntime<SimulatedBoard>, within seconds: Double = 60) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            await runtime.tick()
            let energy = await runtime.status().connectors[0].meter.energyWh
            if energy > wh { return energy }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no energy beyond \(wh) Wh within \(seconds) s")
        return wh
    }

    @Test("stepping the wall clock back two hours and forward ten months during a session: charging goes on, the clock moves")
    func wallClockSteps() async throws {
        let h = try await RouterHarness(preset: ["FreeCharging": .bool(true)])
        try await h.runtime.perform(.plug(PlugRequest(connector: 1, ev: "3p-16a")))
        var energy = try await Self.charged(beyond: 0, h.runtime)
        #expect(await h.runtime.status().connectors[0].status == .charging)

        for step in [-2 * 3600.0, 300 * 86_400.0] {
            let target = await h.runtime.status().time.addingTimeInterval(step)
            try await h.runtime.setClock(to: target, by: "test")
            let now = await h.runtime.status().time
            #expect(abs(now.timeIntervalSince(target)) < 5, "the wall clock followed the step")
            // The first tick after the step: with the board on the wall clock it integrated the whole step (ten months
            // took 25 s); on monotonic time it is one control step.
            let tickStart = ContinuousClock.now
            await h.runtime.tick()
            #expect(ContinuousClock.now - tickStart < .seconds(5), "the tick after the step does not integrate the gap")
            energy = try await Self.charged(beyond: energy + 1, h.runtime)
            #expect(await h.runtime.status().connectors[0].status == .charging)
        }
    }
}
