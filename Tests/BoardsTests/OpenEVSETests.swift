import Boards
import EVSECore
import Testing
import TestSupport

/// The RAPI codec against the examples of its document (`rapi_proc.h`, RAPI 5.2.1: `$GS^30`, `$FE*AF`, …).
@Suite struct RAPIFrameTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func line(_ s: String) -> [UInt8] {
        var b = Array(s.utf8)
        b.append(UInt8(ascii: "^"))
        let x = b.dropLast().reduce(0, ^)
        b += Array((x < 16 ? "0" : "").utf8) + Array(String(x, radix: 16, uppercase: true).utf8) + [0x0D]
        return b
    }

    @Test(arguments: [("GS", [String](), "$GS^30\r"), ("GG", [], "$GG^24\r"), ("GV", [], "$GV^35\r"), ("GE", [], "$GE^26\r"),
                      ("GC", [], "$GC^20\r"), ("GU", [], "$GU^36\r"), ("F0", ["1"], "$F0 1^43\r"), ("SK", ["0"], "$SK 0^2C\r"),
                      ("ST", ["0", "0", "0", "0"], "$ST 0 0 0 0^23\r")])
    func commandsCarryTheDocumentsXORChecksums(name: String, parameters: [String], expected: String) {
        #expect(text(RAPI.command(name, parameters)) == expected)
    }

    @Test func theLegacyAdditiveChecksumsOfTheDocument() {
        #expect(RAPI.additiveChecksum(Array("$FD".utf8)) == 0xAE)
        #expect(RAPI.additiveChecksum(Array("$FE".utf8)) == 0xAF)
        #expect(RAPI.additiveChecksum(Array("$FS".utf8)) == 0xBD)
        #expect(RAPI.additiveChecksum(Array("$S0 0".utf8)) == 0xF7)
        var f = RAPIFramer()
        #expect(f.feed(Array("$OK*BE\r".utf8)) == [.message(RAPIMessage(name: "OK"))])
    }

    @Test func aSequenceIDIsSentBeforeTheChecksumAndEchoed() {
        let bytes = OpenEVSECommand.setCurrent(amps: 16).bytes(sequenceID: 0x2A)
        #expect(text(bytes).hasPrefix("$SC 16 V :2A^"))
        #expect(RAPI.xorChecksum(bytes.prefix(while: { $0 != UInt8(ascii: "^") })) == UInt8(text(bytes).dropFirst(13).prefix(2), radix: 16))
        var f = RAPIFramer()
        #expect(f.feed(line("$OK 16 :2A")) == [.message(RAPIMessage(name: "OK", parameters: ["16"], sequenceID: 0x2A))])
    }

    @Test func linesSplitAcrossReadsAndSeveralInOneRead() {
        var f = RAPIFramer()
        let two = line("$AT 03 03 16 0140") + line("$OK 02 12 02 0100 :07")
        #expect(f.feed(two.prefix(5)).isEmpty)
        let out = f.feed(two.dropFirst(5))
        #expect(out == [.message(RAPIMessage(name: "AT", parameters: ["03", "03", "16", "0140"])),
                        .message(RAPIMessage(name: "OK", parameters: ["02", "12", "02", "0100"], sequenceID: 7))])
    }

    @Test func garbageIsRejectedWithAReasonAndTheNextLineStillComes() {
        var f = RAPIFramer()
        let bad = f.feed(Array("zz\u{1}".utf8) + Array("$OK 1^00\r".utf8) + Array("$OK\r".utf8) + Array("$OK 1 :00^".utf8)
                         + [0x0D] + Array("$O".utf8) + [0xFF, 0x0D] + Array("$OK ^G1\r".utf8))
        #expect(bad.count == 6)
        #expect(bad.allSatisfy { if case .rejected = $0 { true } else { false } })
        if case .rejected(let why) = bad[1] { #expect(why.contains("wrong checksum")) }
        #expect(f.feed(line("$NK")) == [.message(RAPIMessage(name: "NK"))])
    }

    @Test func anOverlongLineIsDroppedWithoutGrowingTheBuffer() {
        var f = RAPIFramer()
        let out = f.feed([UInt8(ascii: "$")] + Array(repeating: UInt8(ascii: "A"), count: 10_000) + [0x0D])
        #expect(out == [.rejected("line longer than \(RAPIFramer.maximumLineLength) bytes")])
        #expect(f.feed(line("$OK")) == [.message(RAPIMessage(name: "OK"))])
    }

    @Test func randomBytesNeverCrashAndNeverMakeAMessageWithoutAValidChecksum() {
        var rng = SplitMix64(seed: 22)
        var f = RAPIFramer()
        for _ in 0..<2000 {
            let chunk = (0..<Int(rng.next() % 40)).map { _ -> UInt8 in
                let r = rng.next()
                return r % 5 == 0 ? UInt8(ascii: "$") : r % 7 == 0 ? 0x0D : UInt8(truncatingIfNeeded: r >> 8)
            }
            for case .message(let m) in f.feed(chunk) { #expect(m.name.count == 2) }
        }
    }
}

@Suite struct RAPIResponseTests {
    func ok(_ p: String...) -> RAPIMessage { RAPIMessage(name: "OK", parameters: p) }

    @Test func getStateWithPilotAndFlags() throws {
        let s = try OpenEVSEStateReport(ok("03", "1234", "03", "0140"))
        #expect(s == OpenEVSEStateReport(evseState: 3, elapsedSeconds: 1234, pilotState: 3, flags: 0x0140))
        #expect(try OpenEVSEStateReport(ok("fe", "0")) == OpenEVSEStateReport(evseState: 254, elapsedSeconds: 0))
    }

    @Test func theOtherAnswers() throws {
        #expect(try OpenEVSECurrentReading(ok("15870", "-1")) == OpenEVSECurrentReading(milliamps: 15870, millivolts: nil))
        #expect(try OpenEVSECurrentReading(ok("-1", "230100")) == OpenEVSECurrentReading(milliamps: nil, millivolts: 230100))
        let e = try OpenEVSEEnergy(ok("36000", "1523"))
        #expect(e.sessionWh == 10 && e.totalWh == 1523)
        #expect(try OpenEVSESettings(ok("32", "0221")) == OpenEVSESettings(currentCapacityAmps: 32, flags: 0x0221))
        let r = try OpenEVSECurrentRange(ok("6", "80", "16", "32"))
        #expect(r.maximumAmps == 32 && r.minimumAmps == 6 && r.pilotAmps == 16)
        #expect(try OpenEVSECurrentRange(ok("6", "40")).maximumAmps == 40)
        #expect(try OpenEVSEVersion(ok("8.2.1", "5.2.1")).description == "OpenEVSE firmware 8.2.1 (RAPI 5.2.1)")
        #expect(try OpenEVSECurrentAnswer(RAPIMessage(name: "NK", parameters: ["32"])) == OpenEVSECurrentAnswer(accepted: false, ampsSet: 32))
    }

    @Test func notificationsATAndTheOlderST() throws {
        #expect(try OpenEVSETransition(RAPIMessage(name: "AT", parameters: ["02", "02", "16", "0100"]))
                == OpenEVSETransition(evseState: 2, pilotState: 2, currentCapacityAmps: 16, flags: 0x0100))
        #expect(try OpenEVSETransition(RAPIMessage(name: "ST", parameters: ["08"])) == OpenEVSETransition(evseState: 8))
        #expect(try OpenEVSETransition(RAPIMessage(name: "AB", parameters: ["00", "8.2.1"])) == nil)
    }

    @Test(arguments: [("GS", ["03"]), ("GS", ["zz", "1"]), ("GS", ["03", "x"]), ("GG", ["1"]), ("GU", ["-5", "1"]),
                      ("GC", ["40", "6"]), ("GE", ["32", "q"])])
    func malformedAnswersNameTheCommandAndField(command: String, parameters: [String]) {
        let m = RAPIMessage(name: "OK", parameters: parameters)
        let error: RAPIParseError? = {
            do {
                switch command {
                case "GS": _ = try OpenEVSEStateReport(m)
                case "GG": _ = try OpenEVSECurrentReading(m)
                case "GU": _ = try OpenEVSEEnergy(m)
                case "GC": _ = try OpenEVSECurrentRange(m)
                default: _ = try OpenEVSESettings(m)
                }
                return nil
            } catch let e as RAPIParseError { return e } catch { return nil }
        }()
        #expect(error?.description.hasPrefix("$\(command)") == true)
    }

    @Test func aNKIsAnError() {
        #expect(throws: RAPIParseError.self) { try OpenEVSEStateReport(RAPIMessage(name: "NK")) }
    }
}

@Suite struct OpenEVSEObservationTests {
    func status(_ evse: UInt8, pilot: UInt8? = nil, flags: UInt16? = nil, after: [OpenEVSEStateReport] = []) -> SupervisedConnectorStatus {
        var o = OpenEVSEObservation()
        for s in after { o.apply(s) }
        o.apply(OpenEVSEStateReport(evseState: evse, pilotState: pilot, flags: flags))
        return o.status
    }

    @Test func vehicleStatesAndTheRelayFlag() {
        #expect(status(1, pilot: 1, flags: 0).pilot == .a)
        let charging = status(3, pilot: 3, flags: 0x0140)
        #expect(charging.pilot == .c && charging.relayClosed && charging.errors.isEmpty && charging.diodeCheckOK)
        #expect(status(2, pilot: 2, flags: 0x0100).relayClosed == false)
        #expect(status(3).relayClosed, "without flags, state C means the relay is closed")
        #expect(status(4, pilot: 4).pilot == .d)
    }

    @Test func sleepingKeepsSeeingTheVehicleAndDisabledIsStateF() {
        #expect(status(254, pilot: 3, flags: 0x0100).pilot == .c)
        #expect(status(254, pilot: 3, flags: 0x0140).relayClosed == false, "the board opens its relay itself once the vehicle stopped drawing")
        #expect(status(255, pilot: 0).pilot == .f)
        #expect(status(254, pilot: 0, after: [OpenEVSEStateReport(evseState: 2, pilotState: 2)]).pilot == .b, "an unknown pilot keeps the last")
    }

    @Test(arguments: [(UInt8(6), "rcdFault"), (7, "rcdFault"), (8, "contactorWelded"), (9, "rcdFault"), (11, "overCurrentProtection")])
    func faultStatesReportTheirCatalogueErrors(state: UInt8, id: String) {
        let s = status(state, pilot: 2, after: [OpenEVSEStateReport(evseState: 2, pilotState: 2)])
        #expect(s.errors == [id])
        #expect(ErrorCatalogue.definition(id) != nil)
        #expect(s.pilot == .b)
        #expect(status(2, pilot: 2, after: [OpenEVSEStateReport(evseState: state, pilotState: 2)]).errors.isEmpty, "cleared when the state returns")
    }

    @Test func aFailedDiodeCheckIsReportedAsSuchOnAConnectedVehicle() {
        let s = status(5, pilot: 5)
        #expect(s.diodeCheckOK == false && s.pilot == .b && s.errors.isEmpty)
        #expect(status(1, pilot: 1, after: [OpenEVSEStateReport(evseState: 5, pilotState: 5)]).diodeCheckOK)
    }

    @Test func theSignalledCurrentIsTheCapacityWhileThePWMIsOn() {
        var o = OpenEVSEObservation()
        o.apply(OpenEVSETransition(evseState: 3, pilotState: 3, currentCapacityAmps: 16, flags: 0x40))
        #expect(o.status.signaledAmps == 16)
        o.apply(OpenEVSEStateReport(evseState: 254, pilotState: 3, flags: 0))
        #expect(o.status.signaledAmps == 0)
    }
}

@Suite struct OpenEVSEControlPlanTests {
    @Test func theBacklightShowsTheLEDsStateOnceAndAgainAfterTheFirmwareRepaintedIt() {
        var plan = OpenEVSEControlPlan()
        let ready = SupervisedConnectorControl(leds: LEDIndication(.ready))
        #expect(plan.commands(for: ready) == [.sleep, .setBacklight(colour: 2)])
        plan.acknowledged(.sleep, ok: true)
        plan.acknowledged(.setBacklight(colour: 2), ok: true)
        #expect(plan.commands(for: ready).isEmpty)
        plan.observe(evseState: 254, currentCapacityAmps: nil)
        plan.observe(evseState: 255, currentCapacityAmps: nil)
        #expect(plan.commands(for: ready) == [.setBacklight(colour: 2)], "the firmware paints on its own state change")
        #expect(OpenEVSECommand.setBacklight(colour: 4).rapi == ("FB", ["4"]))
        #expect(OpenEVSECommand.backlightColour(LEDIndication(.fault, errorBlinks: 3)) == 1)
        #expect(OpenEVSECommand.backlightColour(LEDIndication(.rejected)) == 5)
    }

    @Test func releaseSetsTheCurrentThenEnablesAndRepeatsNothing() {
        var plan = OpenEVSEControlPlan(range: OpenEVSECurrentRange(minimumAmps: 6, hardwareMaximumAmps: 80, configuredMaximumAmps: 32))
        let release = SupervisedConnectorControl(released: true, currentAmps: 16.7)
        #expect(plan.commands(for: release) == [.setCurrent(amps: 16), .enable])
        plan.acknowledged(.setCurrent(amps: 16), ok: true)
        plan.acknowledged(.enable, ok: true)
        #expect(plan.commands(for: release).isEmpty)
        #expect(plan.commands(for: SupervisedConnectorControl(released: true, currentAmps: 40)) == [.setCurrent(amps: 32)])
        #expect(plan.commands(for: SupervisedConnectorControl(released: true, currentAmps: 10)) == [.setCurrent(amps: 10)])
        #expect(plan.commands(for: SupervisedConnectorControl()) == [.sleep])
        #expect(plan.commands(for: SupervisedConnectorControl(stateF: true)) == [.sleep])
        plan.acknowledged(.sleep, ok: true)
        #expect(plan.commands(for: SupervisedConnectorControl()).isEmpty)
        #expect(plan.commands(for: release) == [.enable])
    }

    @Test func aCurrentBelowTheBoardsMinimumWithholdsInsteadOfRaisingIt() {
        let plan = OpenEVSEControlPlan(range: OpenEVSECurrentRange(minimumAmps: 10, hardwareMaximumAmps: 40))
        #expect(plan.commands(for: SupervisedConnectorControl(released: true, currentAmps: 8)) == [.sleep])
    }

    @Test func whatTheBoardContradictsIsSentAgain() {
        var plan = OpenEVSEControlPlan()
        let release = SupervisedConnectorControl(released: true, currentAmps: 16)
        plan.acknowledged(.setCurrent(amps: 16), ok: true)
        plan.acknowledged(.enable, ok: true)
        plan.observe(evseState: 254, currentCapacityAmps: nil)
        #expect(plan.commands(for: release) == [.enable])
        plan.acknowledged(.enable, ok: true)
        plan.observe(evseState: 3, currentCapacityAmps: 20)
        #expect(plan.commands(for: release) == [.setCurrent(amps: 16)])
        plan.acknowledged(.sleep, ok: true)
        plan.observe(evseState: 2, currentCapacityAmps: nil)
        #expect(plan.commands(for: SupervisedConnectorControl()) == [.sleep])
        plan.observe(evseState: 8, currentCapacityAmps: nil)
        plan.forget()
        #expect(plan.commands(for: release) == [.setCurrent(amps: 16), .enable])
    }

    @Test func aRefusedEnableIsTriedAgain() {
        var plan = OpenEVSEControlPlan()
        plan.acknowledged(.setCurrent(amps: 16), ok: true)
        plan.acknowledged(.enable, ok: false)
        #expect(plan.commands(for: SupervisedConnectorControl(released: true, currentAmps: 16)) == [.enable])
    }
}
