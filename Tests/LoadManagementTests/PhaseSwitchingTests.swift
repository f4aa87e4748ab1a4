import Foundation
import Testing
@testable import LoadManagement
import OCPP16

/// Automatic 1-phase/3-phase switching (issue 25 item 3): the switch sequence IEC 61851-1 requires, its timings, the
/// per-hour limit, the PV side's hysteresis and OCPP numberPhases — as scenarios of timed steps, in the style of the
/// surplus scenario files: each step gives the time, what the switcher reads, and what it must do and be then.
@Suite("Phase switching: the sequence, its timings, the per-hour limit, the PV hysteresis")
struct PhaseSwitchingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// One step of a scenario: at `t` s the switcher reads these inputs; it must return `actions` and be in `stage`.
    struct Step {
        var t: Double
        var wanted: Int?
        var switched: Int
        var vehicleC: Bool
        var open: Bool
        var actions: [PhaseSwitchAction]
        var stage: PhaseSwitchStage
    }

    func play(_ steps: [Step], _ s: PhaseSwitchSettings = .init(), _ sw: inout PhaseSwitcher, sourceLocation: SourceLocation = #_sourceLocation) {
        for step in steps {
            let got = sw.step(PhaseSwitchInput(wantedPhases: step.wanted, switchedPhases: step.switched, vehicleRequestsEnergy: step.vehicleC,
                                               contactorsOpen: step.open), s, now: t0.addingTimeInterval(step.t))
            #expect(got == step.actions, "t = \(step.t) s", sourceLocation: sourceLocation)
            #expect(sw.stage == step.stage, "t = \(step.t) s", sourceLocation: sourceLocation)
        }
    }

    @Test("issue25_3 IEC 61851-1 sequence: no PWM with the contactors held, the vehicle goes to B, contactors open, switch, 5 s pause, resume")
    func iec61851SequenceOrderAndTimings() {
        var sw = PhaseSwitcher()
        play([
            Step(t: 0, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [.log("Switching to 1 phase: stopping the current")], stage: .stopping),
            Step(t: 1, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [], stage: .stopping),
            // The vehicle followed the missing PWM (state B): the contactors may open now, not before.
            Step(t: 2, wanted: 1, switched: 3, vehicleC: false, open: false, actions: [], stage: .opening),
            Step(t: 2.1, wanted: 1, switched: 3, vehicleC: false, open: true, actions: [.switchPhases(1)], stage: .switching),
            Step(t: 2.2, wanted: 1, switched: 1, vehicleC: false, open: true, actions: [.log("Phase contactor switched to 1 phase; pausing 5 s")],
                 stage: .pausing),
            Step(t: 7.1, wanted: nil, switched: 1, vehicleC: false, open: true, actions: [], stage: .pausing),
            Step(t: 7.3, wanted: nil, switched: 1, vehicleC: false, open: true, actions: [.log("Phase switch done: charging resumes on 1 phase")],
                 stage: .idle),
        ], .init(), &sw)
        #expect(!sw.holdsCurrent && sw.switchesInLastHour(now: t0.addingTimeInterval(8)) == 1)
    }

    @Test("issue25_3 the current is held at 0 A through the whole switch; the contactors only while the vehicle still draws")
    func holds() {
        var sw = PhaseSwitcher()
        let s = PhaseSwitchSettings()
        _ = sw.step(PhaseSwitchInput(wantedPhases: 3, switchedPhases: 1, vehicleRequestsEnergy: true, contactorsOpen: false), s, now: t0)
        #expect(sw.holdsCurrent && sw.holdsContactors)
        _ = sw.step(PhaseSwitchInput(wantedPhases: 3, switchedPhases: 1, vehicleRequestsEnergy: false, contactorsOpen: false), s, now: t0 + 1)
        #expect(sw.holdsCurrent && !sw.holdsContactors)
    }

    @Test("issue25_3 a vehicle that keeps drawing gets the 3 s IEC 61851-1 gives it, then the contactors open anyway")
    func stopTimeout() {
        var sw = PhaseSwitcher()
        play([
            Step(t: 0, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [.log("Switching to 1 phase: stopping the current")], stage: .stopping),
            Step(t: 2.9, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [], stage: .stopping),
            Step(t: 3.0, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [], stage: .opening),
            Step(t: 3.1, wanted: 1, switched: 3, vehicleC: true, open: true, actions: [.switchPhases(1)], stage: .switching),
        ], .init(), &sw)
    }

    @Test("issue25_3 a paused vehicle (contactors already open) switches in the same step")
    func pausedSwitchesAtOnce() {
        var sw = PhaseSwitcher()
        play([Step(t: 0, wanted: 3, switched: 1, vehicleC: false, open: true,
                   actions: [.log("Switching to 3 phases: stopping the current"), .switchPhases(3)], stage: .switching)], .init(), &sw)
    }

    @Test("issue25_3 a board that does not switch, or contactors that do not open, abandon the switch and release the current")
    func abandoned() {
        var sw = PhaseSwitcher()
        play([
            Step(t: 0, wanted: 1, switched: 3, vehicleC: false, open: true, actions: [.log("Switching to 1 phase: stopping the current"), .switchPhases(1)],
                 stage: .switching),
            Step(t: 4.9, wanted: 1, switched: 3, vehicleC: false, open: true, actions: [], stage: .switching),
            Step(t: 5, wanted: 1, switched: 3, vehicleC: false, open: true, actions: [.log("Phase switch to 1 phase abandoned: the board did not report 1 phase")],
                 stage: .idle),
        ], .init(), &sw)
        #expect(!sw.holdsCurrent)
        var welded = PhaseSwitcher()
        play([
            Step(t: 0, wanted: 1, switched: 3, vehicleC: false, open: false, actions: [.log("Switching to 1 phase: stopping the current")], stage: .opening),
            Step(t: 5, wanted: 1, switched: 3, vehicleC: false, open: false, actions: [.log("Phase switch to 1 phase abandoned: the contactors did not open")],
                 stage: .idle),
        ], .init(), &welded)
    }

    @Test("issue25_3 at most PhaseSwitchesPerHour switches start in an hour; the one held back is logged once and goes when the oldest is an hour old")
    func perHourLimit() {
        var sw = PhaseSwitcher()
        var s = PhaseSwitchSettings()
        s.maximumSwitchesPerHour = 2
        s.pauseSeconds = 2
        // Two switches (paused vehicle: each completes in a few steps).
        play([
            Step(t: 0, wanted: 1, switched: 3, vehicleC: false, open: true, actions: [.log("Switching to 1 phase: stopping the current"), .switchPhases(1)],
                 stage: .switching),
            Step(t: 1, wanted: 1, switched: 1, vehicleC: false, open: true, actions: [.log("Phase contactor switched to 1 phase; pausing 2 s")], stage: .pausing),
            Step(t: 3, wanted: nil, switched: 1, vehicleC: false, open: true, actions: [.log("Phase switch done: charging resumes on 1 phase")], stage: .idle),
            Step(t: 600, wanted: 3, switched: 1, vehicleC: false, open: true, actions: [.log("Switching to 3 phases: stopping the current"), .switchPhases(3)],
                 stage: .switching),
            Step(t: 601, wanted: 3, switched: 3, vehicleC: false, open: true, actions: [.log("Phase contactor switched to 3 phases; pausing 2 s")], stage: .pausing),
            Step(t: 603, wanted: nil, switched: 3, vehicleC: false, open: true, actions: [.log("Phase switch done: charging resumes on 3 phases")], stage: .idle),
            // The third is held back until the first is an hour old.
            Step(t: 1200, wanted: 1, switched: 3, vehicleC: true, open: false,
                 actions: [.log("Phase switch to 1 phase held back: 2 switches in the last hour")], stage: .idle),
            Step(t: 1300, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [], stage: .idle),
            Step(t: 3599, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [], stage: .idle),
            Step(t: 3600, wanted: 1, switched: 3, vehicleC: true, open: false, actions: [.log("Switching to 1 phase: stopping the current")], stage: .stopping),
        ], s, &sw)
        #expect(sw.holdsCurrent, "the current is 0 only from the switch on, not while it was held back")
    }

    @Test("issue25_3 PV hysteresis: 1 phase after the surplus stayed below 3 × 6 A × 230 V for the delay, 3 again after it stayed above; a dip resets the countdown")
    func pvHysteresis() {
        var c = PhaseChoice()
        var s = PhaseSwitchSettings()
        s.downDelaySeconds = 60
        s.upDelaySeconds = 120
        func at(_ t: Double, _ shareW: Double?, _ switched: Int) -> (Int?, String?) {
            c.wanted(shareW: shareW, switchedPhases: switched, s, now: t0.addingTimeInterval(t))
        }
        #expect(at(0, 5000, 3) == (3, nil), "enough for three on three: stays")
        #expect(at(10, 3000, 3) == (nil, "below the 4.1 kW of three phases: 1 phase in 60 s"))
        #expect(at(40, 3000, 3) == (nil, "below the 4.1 kW of three phases: 1 phase in 30 s"))
        #expect(at(50, 4200, 3).0 != 1, "a sunny moment resets the countdown")
        #expect(at(60, 3000, 3) == (nil, "below the 4.1 kW of three phases: 1 phase in 60 s"))
        #expect(at(119, 3000, 3).0 == nil)
        #expect(at(120, 3000, 3) == (1, "below the 4.1 kW of three phases"))
        // On 1 phase: back to three only after 120 s at or above 4.14 kW.
        #expect(at(130, 4140, 1) == (nil, "enough for three phases: 3 phases in 120 s"))
        #expect(at(200, 4000, 1).0 != 3)
        #expect(at(210, 5000, 1) == (nil, "enough for three phases: 3 phases in 120 s"))
        #expect(at(330, 5000, 1) == (3, "enough for three phases"))
        #expect(at(340, nil, 3) == (nil, nil), "no grid meter reading: no wish")
    }

    @Test("issue25_3 the PV start and stop thresholds widen the band: in between the connector stays as switched")
    func thresholdBand() {
        var c = PhaseChoice()
        var s = PhaseSwitchSettings()
        s.downDelaySeconds = 0
        s.upDelaySeconds = 0
        s.downThresholdW = 500
        s.upThresholdW = 1000
        #expect(c.wanted(shareW: 3800, switchedPhases: 3, s, now: t0).0 == nil, "3.8 kW: above 4.14 − 0.5 kW")
        #expect(c.wanted(shareW: 3600, switchedPhases: 3, s, now: t0).0 == 1)
        #expect(c.wanted(shareW: 5000, switchedPhases: 1, s, now: t0).0 == nil, "5.0 kW: below 4.14 + 1 kW")
        #expect(c.wanted(shareW: 5200, switchedPhases: 1, s, now: t0).0 == 3)
    }

    @Test("issue25_3 OCPP 1.6 §7.7 numberPhases: the running period's phase count, the lower of the station and transaction profiles")
    func ocppNumberPhases() {
        func profile(_ id: Int, _ purpose: String, _ periods: [(Int, Double, Int?)]) -> ChargingProfile {
            ChargingProfile(chargingProfileId: id, transactionId: nil, stackLevel: 0, chargingProfilePurpose: purpose,
                            chargingProfileKind: "Relative", recurrencyKind: nil, validFrom: nil, validTo: nil,
                            chargingSchedule: ChargingSchedule(duration: nil, startSchedule: nil, chargingRateUnit: "A",
                                                               chargingSchedulePeriod: periods.map { ChargingSchedulePeriod(startPeriod: $0.0, limit: $0.1, numberPhases: $0.2) }))
        }
        var p = ChargingProfiles()
        let tx = ChargingProfiles.Transaction(transactionID: 1, startedAt: t0)
        _ = p.install(connector: 1, profile(1, "TxDefaultProfile", [(0, 16, nil), (600, 10, 1), (1200, 16, 3)]), now: t0)
        #expect(p.phases(connector: 1, at: t0.addingTimeInterval(10), transaction: tx) == nil, "no numberPhases: nothing asked")
        #expect(p.phases(connector: 1, at: t0.addingTimeInterval(700), transaction: tx) == 1)
        #expect(p.phases(connector: 1, at: t0.addingTimeInterval(1300), transaction: tx) == 3)
        #expect(p.phases(connector: 2, at: t0.addingTimeInterval(700), transaction: tx) == nil, "another connector's profile")
        _ = p.install(connector: 0, profile(2, "ChargePointMaxProfile", [(0, 32, 1)]), now: t0)
        #expect(p.phases(connector: 1, at: t0.addingTimeInterval(1300), transaction: tx) == 1)
    }
}
