import Foundation
import Testing
import ChargePoint
import EVSECore
import Simulator
import TestSupport

/// Issue 21 item 6: the wall clock is stepped (the backend's time, the browser's); the station's timers are durations
/// and must keep them. Driven like the runtime: the board on monotonic time, the controller on the wall clock.
@Suite("Wall clock steps keep the station's timers")
struct WallClockStepTests {
    /// Advances monotonic time by `seconds` in 100 ms steps; the controller sees the wall clock, `wallOffset` apart.
    static func run(_ rig: inout Rig, _ seconds: Double, wallOffset: Double) {
        var left = seconds
        while left > 1e-9 {
            let d = min(0.1, left)
            rig.clock.advance(by: .milliseconds(Int64((d * 1000).rounded())))
            rig.step(now: rig.clock.now.addingTimeInterval(wallOffset))
            left -= d
        }
    }

    @Test("card first, then the wall clock two hours back: the vehicle connection timeout still ends after 45 s")
    func connectionTimeout() throws {
        var rig = Rig { $0.set("VehicleConnectionTimeout", .integer(45)) }
        try rig.card()
        #expect(rig.status(1) == .preparing)
        rig.controller.wallClockStepped(by: -7200)
        Self.run(&rig, 44, wallOffset: -7200)
        #expect(rig.status(1) == .preparing)
        Self.run(&rig, 1.2, wallOffset: -7200)
        #expect(rig.status(1) == .available, "expired after its 45 s, not 2 h later")
    }

    @Test("a current increase waits its 5 s of stable current, not 5 s plus the step")
    func increaseHoldOff() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(10)) })
        rig.run(0.1)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        rig.controller.wallClockStepped(by: -7200)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(20)) })
        Self.run(&rig, 4.5, wallOffset: -7200)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        Self.run(&rig, 0.6, wallOffset: -7200)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 20)
    }
}
