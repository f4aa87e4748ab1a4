import Testing
import LoadManagement

/// The PV/grid split of a session's energy (issue 25 item 4): pure, from the meter register and the surplus split.
@Suite("Solar share of a session")
struct SolarShareTests {
    @Test("issue25_4: each increase of the meter register is split in the proportion the surplus covered at that poll")
    func splitsRegisterIncreases() {
        var m = SolarShareMeter(meterStartWh: 1_000)
        m.add(meterWh: 1_000, powerW: 4_000, fromPVW: 3_000)      // start: nothing counted yet
        m.add(meterWh: 1_100, powerW: 4_000, fromPVW: 3_000)      // 75 % PV
        m.add(meterWh: 1_300, powerW: 4_000, fromPVW: 1_000)      // 25 % PV
        #expect(m.share.fromPVWh == 75 + 50)
        #expect(m.share.fromGridWh == 25 + 150)
        #expect(m.share.totalWh == 300, "PV + grid is the metered energy")
        #expect(m.share.percent == 41.7)
        #expect(m.share.measured)
    }

    @Test("issue25_4: without a grid meter reading there is no share (nil, not 0 %); a gap in the readings counts as grid")
    func noGridMeterNoShare() {
        var none = SolarShareMeter(meterStartWh: 0)
        none.add(meterWh: 500, powerW: 3_000, fromPVW: nil)
        #expect(!none.share.measured && none.share.percent == nil && none.share.fromGridWh == 500)
        var gap = SolarShareMeter(meterStartWh: 0)
        gap.add(meterWh: 100, powerW: 3_000, fromPVW: 3_000)
        gap.add(meterWh: 200, powerW: 3_000, fromPVW: nil)
        #expect(gap.share.fromPVWh == 100 && gap.share.fromGridWh == 100 && gap.share.percent == 50)
    }

    @Test("issue25_4: a register that counts on after the power reads 0 keeps the last proportion; one that goes back only moves the base")
    func registerLagAndReset() {
        var m = SolarShareMeter(meterStartWh: 0)
        m.add(meterWh: 0, powerW: 2_000, fromPVW: 2_000)
        m.add(meterWh: 50, powerW: 0, fromPVW: 0)
        #expect(m.share.fromPVWh == 50)
        m.add(meterWh: 10, powerW: 2_000, fromPVW: 2_000)  // a replaced meter
        #expect(m.share.totalWh == 50 && m.share.meterWh == 10)
        m.add(meterWh: .nan, powerW: 2_000, fromPVW: 2_000)
        #expect(m.share.totalWh == 50 && m.share.meterWh == 10)
    }

    @Test("issue25_4: a resumed meter goes on from the persisted register, neither losing nor counting an interval twice")
    func resumesFromPersisted() {
        var before = SolarShareMeter(meterStartWh: 0)
        before.add(meterWh: 0, powerW: 4_000, fromPVW: 4_000)
        before.add(meterWh: 400, powerW: 4_000, fromPVW: 4_000)
        let persisted = before.share
        before.add(meterWh: 600, powerW: 4_000, fromPVW: 4_000)   // lost with a kill -9 before the next write
        var after = SolarShareMeter(resuming: persisted)
        after.add(meterWh: 600, powerW: 4_000, fromPVW: 2_000)    // the register kept counting
        #expect(after.share.totalWh == 600, "the 200 Wh since the last write count once")
        #expect(after.share.fromPVWh == 400 + 100)
        let closed = after.closed(at: 700)
        #expect(closed.fromPVWh == 550 && closed.fromGridWh == 150 && closed.meterWh == 700)
        #expect(persisted.extended(to: 600) == SolarShare(fromPVWh: 600, fromGridWh: 0, meterWh: 600, measured: true))
    }
}
