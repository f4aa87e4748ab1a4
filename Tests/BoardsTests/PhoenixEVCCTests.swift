@testable import Boards
import EVSECore
import Testing

@Suite struct PhoenixEVCCTests {
    /// Inputs 100–107 as the controller holds them.
    func block(_ status: Character, pp: UInt16 = 0, error: UInt16 = 0) -> [UInt16] {
        [UInt16(status.asciiValue!), pp, 0, 0, 0, 0x2E31, 0x3334, error]
    }

    @Test func statusCharactersAreReadFromTheLowByteOrTheHighByte() {
        #expect(PhoenixEVCC.pilot(0x0041) == .a)
        #expect(PhoenixEVCC.pilot(0x0043) == .c)
        #expect(PhoenixEVCC.pilot(0x4600) == .f)
        #expect(PhoenixEVCC.pilot(0x0047) == nil)
        #expect(PhoenixEVCC.pilot(0) == nil)
    }

    @Test func firmwareIsLowByteFirstAndPrintableOnly() {
        #expect(PhoenixEVCC.firmware([0x2E31, 0x3334]) == "1.43")
        #expect(PhoenixEVCC.firmware([0x0031, 0x0000]) == "1")
        #expect(PhoenixEVCC.firmware([0xFFFF, 0x0A0D]) == "")
    }

    @Test func cableCapacityIsAPPRatingOrNothing() {
        #expect(PhoenixEVCC.cableCapacityAmps(13) == 13)
        #expect(PhoenixEVCC.cableCapacityAmps(63) == 63)
        #expect(PhoenixEVCC.cableCapacityAmps(0) == nil)
        #expect(PhoenixEVCC.cableCapacityAmps(0xFFFF) == nil)
        #expect(PhoenixEVCC.chargingTimeSeconds(low: 0x0010, high: 0x0001) == 65552)
    }

    @Test func everyMappedErrorIsInTheCatalogue() {
        for code in UInt16(0)...20 {
            for id in PhoenixEVCC.errorIDs(code: code) { #expect(ErrorCatalogue.definition(id) != nil, "code \(code) → \(id)") }
        }
        #expect(PhoenixEVCC.errorIDs(code: 0).isEmpty)
        #expect(PhoenixEVCC.errorIDs(code: 12) == ["contactorWelded"])
        #expect(PhoenixEVCC.errorIDs(code: 15) == ["rcmbResidualCurrent"])
        #expect(PhoenixEVCC.errorIDs(code: 5).isEmpty)
    }

    @Test func statusFromReadings() throws {
        let charging = try PhoenixEVCC.status(.init(statusBlock: block("C", pp: 32), chargingEnabled: true, chargingCurrentAmps: 16), lock: .board, lockCommanded: true)
        #expect(charging == SupervisedConnectorStatus(pilot: .c, relayClosed: true, cableCapacityAmps: 32, lockLocked: true, signaledAmps: 16))
        // Released, but the vehicle waits in B: PWM on, contactor open.
        let waiting = try PhoenixEVCC.status(.init(statusBlock: block("B", pp: 20), chargingEnabled: true, chargingCurrentAmps: 10), lock: .none, lockCommanded: false)
        #expect(waiting == SupervisedConnectorStatus(pilot: .b, relayClosed: false, cableCapacityAmps: 20, lockLocked: nil, signaledAmps: 10))
        // Withheld: no PWM, no contactor, whatever the current register holds.
        let withheld = try PhoenixEVCC.status(.init(statusBlock: block("B", pp: 20), chargingEnabled: false, chargingCurrentAmps: 10), lock: .board, lockCommanded: true)
        #expect(withheld.signaledAmps == 0 && !withheld.relayClosed && withheld.lockLocked == true)
        // ChargeKit wants the plug unlocked: unlocked unless the controller reports that unlocking failed.
        let unlocked = try PhoenixEVCC.status(.init(statusBlock: block("B"), chargingEnabled: false, chargingCurrentAmps: 10), lock: .board, lockCommanded: false)
        #expect(unlocked.lockLocked == false)
        let stuck = try PhoenixEVCC.status(.init(statusBlock: block("B", error: 7), chargingEnabled: false, chargingCurrentAmps: 10), lock: .board, lockCommanded: false)
        #expect(stuck.lockLocked == true && stuck.errors == ["actuatorStuck"])
        let unplugged = try PhoenixEVCC.status(.init(statusBlock: block("A"), chargingEnabled: true, chargingCurrentAmps: 16), lock: .board, lockCommanded: true)
        #expect(unplugged.lockLocked == false && unplugged.signaledAmps == 0 && unplugged.cableCapacityAmps == nil)
        let noDiode = try PhoenixEVCC.status(.init(statusBlock: block("B", error: 13), chargingEnabled: true, chargingCurrentAmps: 16), lock: .none, lockCommanded: false)
        #expect(!noDiode.diodeCheckOK && noDiode.errors == ["vehicleDiodeCheckFailed"])
        let lockFailed = try PhoenixEVCC.status(.init(statusBlock: block("B", error: 6), chargingEnabled: false, chargingCurrentAmps: 16), lock: .board, lockCommanded: true)
        #expect(lockFailed.lockLocked == false && lockFailed.errors == ["plugLockingFailed"])
    }

    @Test func garbageInTheStatusRegisterIsAnError() {
        #expect(throws: PhoenixEVCC.ReadingError.self) {
            try PhoenixEVCC.status(.init(statusBlock: [0xDEAD, 0, 0, 0, 0, 0, 0, 0], chargingEnabled: false, chargingCurrentAmps: 0), lock: .none, lockCommanded: false)
        }
        #expect(throws: PhoenixEVCC.ReadingError.self) {
            try PhoenixEVCC.status(.init(statusBlock: [0x41], chargingEnabled: false, chargingCurrentAmps: 0), lock: .none, lockCommanded: false)
        }
    }

    @Test func writesOnlyWhatChanged() {
        let release = SupervisedConnectorControl(released: true, currentAmps: 16.7)
        // Nothing known: current (rounded down) before the release.
        #expect(PhoenixEVCC.writes(for: release, written: .init(), enabledReadBack: nil, family: .evCCETH)
                == [.current(register: 528, amps: 16), .enableCharging(true)])
        #expect(PhoenixEVCC.writes(for: release, written: .init(), enabledReadBack: nil, family: .emCPPPETH)
                == [.current(register: 300, amps: 16), .enableCharging(true)])
        let done = PhoenixEVCC.Written(enabled: true, currentAmps: 16)
        #expect(PhoenixEVCC.writes(for: release, written: done, enabledReadBack: true, family: .evCCETH).isEmpty)
        // A new limit: the current only.
        #expect(PhoenixEVCC.writes(for: .init(released: true, currentAmps: 10), written: done, enabledReadBack: true, family: .evCCETH)
                == [.current(register: 528, amps: 10)])
        // Paused (0 A → the controller's pilot off): the release only, the current stays.
        #expect(PhoenixEVCC.writes(for: .init(), written: done, enabledReadBack: true, family: .evCCETH) == [.enableCharging(false)])
        #expect(PhoenixEVCC.writes(for: .init(stateF: true), written: done, enabledReadBack: true, family: .evCCETH) == [.enableCharging(false)])
        // The controller restarted and lost the release: written again.
        #expect(PhoenixEVCC.writes(for: release, written: done, enabledReadBack: false, family: .evCCETH) == [.enableCharging(true)])
        // Currents outside what the controller takes are clamped.
        #expect(PhoenixEVCC.writes(for: .init(released: true, currentAmps: 100), written: done, enabledReadBack: true, family: .evCCETH)
                == [.current(register: 528, amps: 80)])
    }

    @Test func theRegisterSetIsDetectedByRegister528() {
        #expect(PhoenixEVCC.Family.detected(answersRegister528: true) == .evCCETH)
        #expect(PhoenixEVCC.Family.detected(answersRegister528: false) == .emCPPPETH)
    }
}

@Suite struct PhoenixBoardDescriptionTests {
    @Test func theUnitIDDefaultsTo180AndMayBe255OverTCP() throws {
        let plain = try BoardDescription.read(Array(#"{"driver": "phoenix-ev-charge-control", "tcp": {"host": "192.168.0.8"}, "connectors": [{}]}"#.utf8))
        #expect(plain.connectors[0].unitID == PhoenixEVCC.defaultUnitID)
        #expect(plain.link == .tcp(host: "192.168.0.8", port: PhoenixEVCC.defaultPort))
        let evcc = try BoardDescription.read(Array(#"{"driver": "phoenix-ev-charge-control", "tcp": {"host": "h"}, "connectors": [{"unitId": 255}]}"#.utf8))
        #expect(evcc.connectors[0].unitID == 255)
        do {
            _ = try BoardDescription.read(Array(#"{"driver": "phoenix-ev-charge-control", "tcp": {"host": "h"}, "connectors": [{"unitId": 256}]}"#.utf8))
            Issue.record("unit id 256 accepted")
        } catch {
            #expect(error.path == "connectors[0].unitId")
        }
        // A serial bus keeps the serial line's range (Modbus over Serial Line V1.02 §2.2: 1–247).
        do {
            _ = try BoardDescription.read(Array(#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"unitId": 255}]}"#.utf8))
            Issue.record("unit id 255 accepted on a serial bus")
        } catch {
            #expect(error.path == "connectors[0].unitId")
        }
    }
}
