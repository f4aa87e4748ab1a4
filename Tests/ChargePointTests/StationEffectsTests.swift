import Foundation
import Testing
import Authorization
import EVSECore
import OCPP16
import StationModbus
import TestSupport
@testable import ChargePoint

/// The controller takes board readings as values and returns ordered effects; it never calls a board. These tests drive
/// it with hand-made readings — no simulator — as any board's adapter would (issue 21 items 5 and 7).
@Suite("Station effects: readings in, ordered effects out, no board inside")
struct StationEffectsTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func reading(_ pilot: PilotState, relays: RelayState = .open, locked: Bool = false) -> ConnectorReading {
        ConnectorReading(pilot: pilot, relayFeedback: relays, lockDetected: locked,
                         meter: MeterReading(energyWh: 1000, powerW: .zero, currentA: .zero, voltageV: PhaseValues(all: 230)))
    }

    static func inputs(_ readings: [ConnectorReading], cards: [String] = []) -> BoardInputs {
        BoardInputs(connectors: readings, rfidReads: cards.map { RFIDRead(uid: hexBytes($0)!) })
    }

    static func commands(_ effects: [StationEffect]) -> [HardwareCommand] {
        effects.compactMap { if case .hardware(let c) = $0 { c } else { nil } }
    }

    @Test("plug-in and a whitelisted card: the lock, then the PWM and the contactors are commanded; a card stops it with the contactors open before Finishing is reported")
    func sessionFromReadings() throws {
        let store = Rig.storeWithCards()
        var c = StationController(settings: Rig.settings(connectors: 1), board: Self.inputs([Self.reading(.a)]), store: store, now: Self.t0)
        _ = c.takeEffects()
        var now = Self.t0
        func step(_ r: ConnectorReading, cards: [String] = []) -> [StationEffect] {
            now.addTimeInterval(0.1)
            c.poll(Self.inputs([r], cards: cards), now: now)
            return c.takeEffects()
        }
        let plugged = step(Self.reading(.b))
        #expect(Self.commands(plugged).contains(.setLock(connector: 1, locked: true)))
        let carded = step(Self.reading(.b, locked: true), cards: [Rig.cards[0]])
        #expect(Self.commands(carded).contains { if case .setPilot(1, .pwm) = $0 { true } else { false } }, "the PWM offers current")
        let drawing = step(Self.reading(.c, locked: true))
        #expect(Self.commands(drawing).contains(.setRelays(connector: 1, .threePhase)))
        _ = step(Self.reading(.c, relays: .threePhase, locked: true))
        #expect(c.snapshot(now: now).connectors[0].status == .charging)

        let stopped = step(Self.reading(.c, relays: .threePhase, locked: true), cards: [Rig.cards[0]])
        let open = stopped.firstIndex(of: .hardware(.setRelays(connector: 1, .open)))
        let finishing = stopped.firstIndex(of: .notice(.statusChanged(connector: 1, from: .charging, to: .finishing)))
        #expect(open != nil && finishing != nil)
        if let open, let finishing { #expect(open < finishing, "the contactors open before the status that reports it") }
        #expect(stopped.contains { if case .notice(.sessionStopped(_, .local, _)) = $0 { true } else { false } })
        #expect(store.snapshot.sessions.values.first?.stoppedAt != nil, "the stop was persisted before it was reported")
    }

    @Test("UnlockConnector of a locked plug answers once the lock detect follows; a lock that stays detected answers UnlockFailed after 2 s")
    func unlockWaitsForTheLockDetect() throws {
        var c = StationController(settings: Rig.settings(connectors: 1), board: Self.inputs([Self.reading(.b, locked: true)]),
                                  store: Rig.storeWithCards(), now: Self.t0)
        c.poll(Self.inputs([Self.reading(.b, locked: true)]), now: Self.t0)
        _ = c.takeEffects()
        #expect(c.unlock(connector: 1, now: Self.t0) == nil, "the plug is locked: the answer waits for the lock detect")
        #expect(Self.commands(c.takeEffects()).contains(.setLock(connector: 1, locked: false)))
        c.poll(Self.inputs([Self.reading(.b, locked: false)]), now: Self.t0.addingTimeInterval(0.1))
        #expect(c.takeEffects().contains(.notice(.unlockFinished(connector: 1, .unlocked))))

        var stuck = StationController(settings: Rig.settings(connectors: 1), board: Self.inputs([Self.reading(.b, locked: true)]),
                                      store: Rig.storeWithCards(), now: Self.t0)
        stuck.poll(Self.inputs([Self.reading(.b, locked: true)]), now: Self.t0)
        #expect(stuck.unlock(connector: 1, now: Self.t0) == nil)
        stuck.poll(Self.inputs([Self.reading(.b, locked: true)]), now: Self.t0.addingTimeInterval(1.9))
        #expect(!stuck.takeEffects().contains { if case .notice(.unlockFinished) = $0 { true } else { false } })
        stuck.poll(Self.inputs([Self.reading(.b, locked: true)]), now: Self.t0.addingTimeInterval(2))
        #expect(stuck.takeEffects().contains(.notice(.unlockFinished(connector: 1, .unlockFailed))))
    }

    @Test("a Modbus meter fails after \"Failed polls before a meter error\" polls in a row (3), raises its error, and recovers with the next good poll")
    func meterFailedPolls() throws {
        var rig = Rig(connectors: 1)
        _ = rig.takeNotices()
        let good = MeterReading(energyWh: 5, powerW: .zero, currentA: PhaseValues(all: 10), voltageV: PhaseValues(all: 230))
        rig.controller.meterPolled(.grid, good, now: rig.clock.now)
        for _ in 1...2 { rig.controller.meterPolled(.grid, nil, error: "timeout", now: rig.clock.now) }
        #expect(rig.controller.gridMeter?.communicating == true, "two failed polls are not yet an error")
        #expect(!rig.takeNotices().contains { if case .meterCommunication = $0 { true } else { false } })
        rig.controller.meterPolled(.grid, nil, error: "timeout", now: rig.clock.now)
        #expect(rig.controller.gridMeter?.communicating == false)
        #expect(rig.controller.errors.errors.contains { $0.id == "externalMeterNotCommunicating" })
        #expect(rig.takeNotices().contains(.meterCommunication("grid meter not communicating after 3 failed polls: timeout", communicating: false)))
        rig.controller.meterPolled(.grid, good, now: rig.clock.now)
        #expect(rig.takeNotices().contains(.meterCommunication("grid meter communicating again", communicating: true)))
        #expect(!rig.controller.errors.errors.contains { $0.id == "externalMeterNotCommunicating" })
    }
}
