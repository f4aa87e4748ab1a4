import Foundation
import Testing
import Authorization
import LoadManagement
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint

/// A station with a simulated board, an in-memory store and a manual clock, driven like the runtime drives it: every
/// step reads the board, hands the readings to the controller and carries out its effects in order.
struct Rig {
    var clock = ManualClock()
    var controller: StationController
    var board: SimulatedBoard
    let store: InMemoryStationStore
    let ids = SequentialIDs()
    /// The notices the controller returned, in order (``takeNotices()``).
    private var notices: [ControllerNotice] = []
    /// The DLM datagrams it returned, in order (``takeDatagrams()``).
    private var datagrams: [DLMDatagram] = []
    /// What the connectors' ISO 15118 sessions learned of their vehicles, laid over the board's readings as the runtime does.
    var hlcVehicles: [Int: HLCVehicleInfo] = [:]

    static func settings(connectors: Int = 2, _ change: (inout ParameterSet) -> Void = { _ in }) -> StationSettings {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: connectors))
        p.set("ConnectorCount", .integer(connectors))
        change(&p)
        return StationSettings(p)
    }

    /// Cards the tests use, in the local whitelist of a new store.
    static let cards = ["04567DAA5F3580", "AAAAAAAA", "BBBBBBBB", "0A0E9B83"]

    static func storeWithCards() -> InMemoryStationStore {
        let store = InMemoryStationStore()
        try? store.saveWhitelist(cards.map { WhitelistEntry(id: $0, kind: .rfid) })
        return store
    }

    init(connectors: Int = 2, store: InMemoryStationStore = Rig.storeWithCards(), board: SimulatedBoard? = nil,
         clean: Bool = false, _ change: (inout ParameterSet) -> Void = { _ in }) {
        self.store = store
        let s = Self.settings(connectors: connectors, change)
        let ids = self.ids
        var b = board ?? SimulatedBoard(connectorCount: connectors, now: clock.now)
        controller = StationController(settings: s, board: b.readInputs(), store: store, now: clock.now, previousShutdownClean: clean,
                                       makeID: { ids.next() })
        self.board = b
        carryOut()
    }

    /// Carries out the controller's effects like the runtime: commands to the board, samples to the store.
    mutating func carryOut() {
        for effect in controller.takeEffects() {
            switch effect {
            case .hardware(let command): board.apply(command)
            case .notice(let notice): notices.append(notice)
            case .dlm(let datagram): datagrams.append(datagram)
            case .recordSamples(let samples): try? store.record(samples: samples, hardwareState: board.persistentState())
            case .eebus, .eebusPersist: break
            }
        }
    }

    /// One control step at `now` (the wall clock; the board follows the manual clock, its monotonic time).
    mutating func step(now: Date) {
        carryOut()
        board.advance(to: clock.now)
        controller.poll(board.readInputs().overlaying(hlcVehicles), now: now)
        carryOut()
    }

    /// The notices since the last call.
    mutating func takeNotices() -> [ControllerNotice] {
        carryOut()
        defer { notices = [] }
        return notices
    }

    /// The DLM datagrams since the last call.
    mutating func takeDatagrams() -> [DLMDatagram] {
        carryOut()
        defer { datagrams = [] }
        return datagrams
    }

    /// Advances time by `seconds`, polling every `every` seconds like the runtime does.
    mutating func run(_ seconds: Double, every: Double = 0.1) {
        var left = seconds
        while left > 1e-9 {
            let d = min(every, left)
            clock.advance(by: .milliseconds(Int64((d * 1000).rounded())))
            step(now: clock.now)
            left -= d
        }
    }

    mutating func plug(_ n: Int, _ spec: EVSpec = EVSpec(phases: 3, maxCurrentAmps: 16)) throws {
        try board.plug(n, spec)
        run(0.1)
    }

    mutating func card(_ uid: String = "04567DAA5F3580") throws {
        try board.presentRFID(uid)
        run(0.1)
    }

    func status(_ n: Int) -> ConnectorStatus { controller.snapshot(now: clock.now).connectors[n - 1].status }
    func connector(_ n: Int) -> ConnectorSnapshot { controller.snapshot(now: clock.now).connectors[n - 1] }
    var events: [EventLogEntry] { store.snapshot.events }
}

@Suite("Station controller scenarios (simulator, manual clock)")
struct StationControllerTests {
    @Test("full 11 kW session: plug-in, card, charging, taper, SuspendedEV when full, unplug")
    func fullSession() throws {
        var rig = Rig()
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, batteryCapacityWh: 60_000, stateOfChargePercent: 20))
        #expect(rig.status(1) == .preparing)
        #expect(rig.connector(1).lockCommanded)
        rig.run(0.1)
        #expect(rig.connector(1).lockDetected)
        try rig.card()
        #expect(rig.controller.snapshot(now: rig.clock.now).connectors[0].session?.idTag == "04567daa5f3580")
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).meter.totalPowerW == 11_040)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 32)
        rig.run(3600, every: 10)
        #expect(rig.status(1) == .charging)
        rig.run(8 * 3600, every: 10)
        #expect(rig.status(1) == .suspendedEV)
        #expect(rig.board.connectors[0].ev?.isFull == true)
        let delivered = rig.connector(1).session?.energyWh ?? 0
        #expect(abs(delivered - 48_000) < 1)
        try rig.board.unplug(1, force: true)
        rig.run(1)
        #expect(rig.status(1) == .available)
        let record = try #require(rig.store.sessions.first)
        #expect(record.stopReason == .evDisconnected)
        #expect(abs((record.energyWh ?? 0) - 48_000) < 1)
        #expect(rig.store.snapshot.samples.count > 100)
        let energies = rig.store.snapshot.samples.map(\.energyWh)
        #expect(energies == energies.sorted(), "meter samples never go backwards")
    }

    @Test("card first, no vehicle within the vehicle connection timeout: authorization expires (seeds/004 §5.1)")
    func connectionTimeout() throws {
        var rig = Rig { $0.set("VehicleConnectionTimeout", .integer(45)) }
        try rig.card()
        #expect(rig.status(1) == .preparing)
        #expect(rig.connector(1).awaitingVehicle?.idTag == "04567daa5f3580")
        rig.run(44)
        #expect(rig.status(1) == .preparing)
        rig.run(1.2)
        #expect(rig.status(1) == .available)
        #expect(rig.events.contains { $0.kind == .authorizationExpired })
        try rig.plug(1)
        rig.run(5)
        #expect(rig.status(1) == .preparing, "no session without a new authorization")
        #expect(rig.store.sessions.isEmpty)
    }

    @Test("card first, vehicle plugged into connector 2: the authorization follows the vehicle")
    func authorizationFollowsVehicle() throws {
        var rig = Rig()
        try rig.card()
        #expect(rig.status(1) == .preparing)
        try rig.plug(2)
        #expect(rig.status(1) == .available)
        #expect(rig.connector(2).session?.idTag == "04567daa5f3580")
        rig.run(3)
        #expect(rig.status(2) == .charging)
    }

    @Test("the same card stops the session (Stop Transaction Mode Normal): Finishing, unlocked, then Available")
    func sameCardStops() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(60)
        #expect(rig.status(1) == .charging)
        try rig.card()
        #expect(rig.status(1) == .finishing)
        #expect(!rig.connector(1).lockCommanded)
        #expect(rig.connector(1).relays == .open)
        #expect(rig.store.sessions.first?.stopReason == .local)
        try rig.board.unplug(1)
        rig.run(0.2)
        #expect(rig.status(1) == .available)
    }

    @Test("RCMB residual current: Faulted, session stopped, state F; resets 10 s after unplug (seeds/004 §9)")
    func residualCurrent() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(10)
        try rig.board.setFault(.rcd, connector: 1, active: true)
        rig.run(0.1)
        #expect(rig.status(1) == .faulted)
        #expect(rig.connector(1).relays == .open)
        #expect(rig.connector(1).pilotSignal.kind == "stateF")
        #expect(rig.store.sessions.first?.stopReason == .other)
        #expect(rig.controller.errors.isActive("rcmbResidualCurrent", connector: 1))
        try rig.board.setFault(.rcd, connector: 1, active: false)
        rig.run(30)
        #expect(rig.status(1) == .faulted, "latched until the EV is unplugged")
        try rig.board.unplug(1, force: true)
        rig.run(9.5)
        #expect(rig.status(1) == .faulted)
        rig.run(1)
        #expect(rig.status(1) == .available)
        let messages = rig.events.filter { $0.code == "rcmbResidualCurrent" }.map(\.message)
        #expect(messages == ["Residual current detected via sensor", "Residual current situation resolved"])
    }

    @Test("meter not communicating stops charging; the RFID reader failing does not", arguments: [
        (SimulatedFault.meter, 1 as Int?, true, "meterNotCommunicating"),
        (.rfid, nil, false, "rfidReaderNotCommunicating"),
        (.evError, 1, false, "vehicleError"),
        (.diode, 1, true, "vehicleDiodeCheckFailed"),
    ])
    func faults(fault: SimulatedFault, connector: Int?, stops: Bool, errorID: String) throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        #expect(rig.status(1) == .charging)
        try rig.board.setFault(fault, connector: connector, active: true)
        rig.run(0.3)
        #expect(rig.controller.errors.isActive(errorID, connector: connector ?? 0))
        #expect((rig.status(1) == .faulted) == stops)
        #expect((rig.store.sessions.first?.stopReason == .other) == stops)
        let snapshotErrors = rig.controller.snapshot(now: rig.clock.now).activeErrors.map(\.id)
        #expect(snapshotErrors.contains(errorID))
    }

    @Test("plug lock not confirmed: Plug locking failed after 2 s, contactors never close")
    func lockFailure() throws {
        var rig = Rig()
        try rig.board.setFault(.lock, connector: 1, active: true)
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        #expect(rig.controller.errors.isActive("plugLockingFailed", connector: 1))
        #expect(rig.connector(1).relays == .open)
        #expect(rig.connector(1).meter.totalPowerW == 0)
    }

    @Test("welded contactor detected when the contactors should be open")
    func welded() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        try rig.board.setFault(.welded, connector: 1, active: true)
        rig.run(0.2)
        #expect(!rig.controller.errors.isActive("contactorWelded", connector: 1))
        try rig.card()
        rig.run(0.2)
        #expect(rig.controller.errors.isActive("contactorWelded", connector: 1))
        #expect(rig.status(1) == .faulted)
    }

    @Test("operator limit changed while charging: PWM follows at once, the vehicle after its reaction delay")
    func operatorLimitWhileCharging() throws {
        var rig = Rig()
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card()
        rig.run(5)
        #expect(rig.connector(1).meter.currentA.l1 == 32)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(10)) })
        rig.run(0.1)
        #expect(rig.connector(1).currentLimit.amps == 10 && rig.connector(1).currentLimit.binding == .operator)
        #expect(rig.connector(1).currentLimit.inputs.map(\.source) == [.hardware, .installation, .operator])
        #expect(rig.events.contains { $0.kind == .currentLimitChanged && $0.message == "Connector 1 limited by operator to 10 A" })
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        #expect(rig.connector(1).meter.currentA.l1 == 32)
        rig.run(2.5)
        #expect(rig.connector(1).meter.currentA.l1 == 10)
        #expect(rig.status(1) == .charging)
    }

    @Test("single feed line: two sessions share the capacity (seeds/004 §7.3)")
    func singleFeedLine() throws {
        var rig = Rig {
            $0.set("SingleFeedLine", .bool(true))
            $0.set("FeedLineCapacity", .integer(32))
        }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(5)
        #expect(rig.connector(1).meter.currentA.l1 == 32)
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("BBBBBBBB")
        rig.run(5)
        #expect(rig.connector(1).meter.currentA.l1 == 16)
        #expect(rig.connector(2).meter.currentA.l1 == 16)
        #expect(rig.connector(1).currentLimit.binding == .singleFeedLine)
    }

    @Test("an external per-phase limit (DLM) binds on the phases the vehicle uses and leaves its fallback when it expires")
    func externalLimit() throws {
        var rig = Rig { $0.set("PhaseRotation.1", .string("STR")) }
        try rig.plug(1, EVSpec(phases: 1, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(5)
        #expect(rig.connector(1).meter.currentA.l1 == 32)
        // Grid L1 is short, but this single-phase car draws on grid L2 (rotation STR maps charge point L1 to grid S).
        let until = rig.clock.now.addingTimeInterval(30)
        rig.controller.setExternalLimit(ExternalLimit(.dlm, gridPhaseAmps: [8, 20, 25], validUntil: until, fallbackAmps: 10),
                                        source: .dlm, connector: 1, now: rig.clock.now)
        rig.run(3)
        #expect(rig.connector(1).currentLimit.binding == .dlm)
        #expect(rig.connector(1).currentLimit.amps == 20)
        #expect(rig.connector(1).currentLimit.inputs.first { $0.source == .dlm }?.gridPhaseAmps == [8, 20, 25])
        rig.run(30)
        #expect(rig.connector(1).currentLimit.amps == 10, "the producer fell silent: the fallback applies")
        rig.controller.setExternalLimit(nil, source: .dlm, connector: 1, now: rig.clock.now)
        rig.run(6)
        #expect(rig.connector(1).currentLimit.amps == 32)
        #expect(!rig.connector(1).currentLimit.inputs.contains { $0.source == .dlm })
    }

    @Test("Lock Actuator only if authorized: the plug locks only after the card (seeds/004 §5.1)")
    func lockOnlyIfAuthorized() throws {
        var rig = Rig { $0.set("LockActuatorOnlyIfAuthorized", .bool(true)) }
        try rig.plug(1)
        rig.run(1)
        #expect(!rig.connector(1).lockCommanded)
        try rig.card()
        #expect(rig.connector(1).lockCommanded)
    }

    @Test("a failing store write at start: no session, contactors stay open, the failure is reported")
    func storeFailure() throws {
        var rig = Rig()
        try rig.plug(1)
        _ = rig.takeNotices()
        rig.store.setFailWrites(true)
        try rig.card()
        rig.run(5)
        #expect(rig.connector(1).session == nil)
        #expect(rig.connector(1).relays == .open)
        #expect(rig.takeNotices().contains { if case .storeFailed("sessionStarted", _) = $0 { return true } else { return false } })
    }

    @Test("ISO 15118 modes (seeds/004 §7.3): 5 % duty cycle at start, kept only for vehicles that speak ISO 15118", arguments: [
        (HLCMode.off, false, "pwm", "pwm", true),
        (.offer, false, "pwm", "pwm", true),
        (.ed2, true, "pwm", "pwm", true),
        (.plugAndCharge, true, "pwm", "pwm", true),
        (.encouragement, false, "hlc", "pwm", true),
        (.encouragement, true, "hlc", "hlc", true),
        (.force, true, "hlc", "hlc", true),
        (.force, false, "hlc", "hlc", false),
    ])
    func hlcModes(mode: HLCMode, iso15118: Bool, atStart: String, later: String, charges: Bool) throws {
        var rig = Rig { $0.set("HLCMode", .string(mode.rawValue)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: iso15118 ? "00:1A:2B:3C:4D:5E" : nil))
        try rig.card()
        #expect(rig.connector(1).pilotSignal.kind == atStart)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 32)
        rig.run(5)
        #expect(rig.connector(1).pilotSignal.kind == later)
        #expect((rig.status(1) == .charging) == charges)
        #expect((rig.connector(1).meter.currentA.l1 == 16) == charges)
    }

    @Test("Force signals 5 % from plug-in, offering nothing until authorized; the other modes show no PWM before a session",
          arguments: HLCMode.allCases)
    func hlcBeforeAuthorization(mode: HLCMode) throws {
        var rig = Rig { $0.set("HLCMode", .string(mode.rawValue)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1A:2B:3C:4D:5E"))
        rig.run(3)
        let before = rig.connector(1).pilotSignal
        #expect(before.kind == (mode == .force ? "hlc" : "off"))
        #expect(before.signaledCurrentAmps == 0, "nothing is offered before authorization")
        #expect(rig.connector(1).relays == .open && rig.status(1) == .preparing)
        try rig.card()
        rig.run(5)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).pilotSignal.kind == (mode == .force || mode == .encouragement ? "hlc" : "pwm"))
        try rig.card()
        rig.run(3)
        #expect(rig.connector(1).pilotSignal.kind == "off", "the session ended with the vehicle still plugged in: no signal")
    }

    @Test("Force with Autocharge: the vehicle's ISO 15118 identifier, sent under the 5 % signal, authorizes it")
    func forceAutocharge() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.force.rawValue)); $0.set("Autocharge", .bool(true)) }
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: "00:1A:2B:3C:4D:5E", kind: .mac)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1A:2B:3C:4D:5E"))
        rig.run(5)
        #expect(rig.status(1) == .charging && rig.connector(1).session?.method == .autocharge)
        #expect(rig.connector(1).pilotSignal.kind == "hlc" && rig.connector(1).pilotSignal.signaledCurrentAmps == 32)
    }

    /// A store and board as a kill -9 leaves them: a session open, the vehicle still plugged in.
    func powerLossState() throws -> (InMemoryStationStore, SimulatedBoard, ManualClock) {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(600, every: 1)
        let state = try #require(rig.store.snapshot.hardwareState)
        let board = try #require(SimulatedBoard.restore(state, connectorCount: 2, voltageV: 230, phaseCount: [3, 3], now: rig.clock.now))
        return (rig.store, board, rig.clock)
    }

    @Test("restart after power loss with 'Restart transaction after power loss' On: the session resumes")
    func resumeAfterPowerLoss() throws {
        let (store, board, _) = try powerLossState()
        let before = try #require(store.sessions.first)
        var rig = Rig(store: store, board: board) { $0.set("RestartTransactionAfterPowerLoss", .bool(true)) }
        rig.run(5)
        #expect(rig.connector(1).session?.id == before.session.id)
        #expect(rig.status(1) == .charging)
        #expect(rig.store.sessions.count == 1)
        #expect(rig.events.contains { $0.kind == .sessionResumed })
    }

    @Test("restart with the setting Off: the session is closed with reason PowerLoss and the last meter value", arguments: [
        (false, StopReason.powerLoss), (true, .reboot),
    ])
    func closeAfterPowerLoss(clean: Bool, reason: StopReason) throws {
        let (store, board, _) = try powerLossState()
        let lastSample = try #require(store.snapshot.samples.last)
        var rig = Rig(store: store, board: board, clean: clean) { $0.set("RestartTransactionAfterPowerLoss", .bool(false)) }
        rig.run(1)
        let r = try #require(rig.store.sessions.first)
        #expect(r.stopReason == reason)
        #expect(r.meterStopWh == lastSample.energyWh)
        #expect(r.stoppedAt == lastSample.at)
        #expect(rig.connector(1).session == nil)
        #expect(rig.status(1) == .preparing, "the vehicle is still connected and needs a new authorization")
    }
}

@Suite("Finishing survives a restart (issue 20 item 3)")
struct FinishingRestartTests {
    /// A station whose connector 1 session was ended by the card with the vehicle still plugged in.
    func finished(charging seconds: Double) throws -> Rig {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(seconds, every: 1)
        try rig.card()
        rig.run(1)
        #expect(rig.status(1) == .finishing)
        #expect(rig.store.snapshot.finishedConnectors == [1], "stored before the status is reported")
        return rig
    }

    @Test("a session ended with the vehicle plugged stays Finishing after a restart; the next card goes to the other connector",
          arguments: [false, true])
    func finishingAfterRestart(clean: Bool) throws {
        let rig = try finished(charging: 60)
        let state = try #require(rig.store.snapshot.hardwareState)
        let board = try #require(SimulatedBoard.restore(state, connectorCount: 2, voltageV: 230, phaseCount: [3, 3], now: rig.clock.now))
        var after = Rig(store: rig.store, board: board, clean: clean)
        after.run(1)
        #expect(after.status(1) == .finishing)
        #expect(after.connector(1).session == nil)
        try after.plug(2)
        try after.card("AAAAAAAA")
        after.run(3)
        #expect(after.connector(2).session?.idTag == "aaaaaaaa", "the second driver's card starts connector 2")
        #expect(after.connector(1).session == nil && after.status(1) == .finishing, "the first vehicle stays ended")
        try after.board.unplug(1, force: true)
        after.run(1)
        #expect(after.status(1) == .available)
        #expect(after.store.snapshot.finishedConnectors.isEmpty, "cleared on unplug")
    }

    @Test("a Finishing flag is not restored when the vehicle left while the station was off")
    func unpluggedWhileOff() throws {
        let rig = try finished(charging: 10)
        var after = Rig(store: rig.store)  // a board without the vehicle: it left while the station was off
        after.run(1)
        #expect(after.status(1) == .available)
        #expect(after.store.snapshot.finishedConnectors.isEmpty)
    }
}
