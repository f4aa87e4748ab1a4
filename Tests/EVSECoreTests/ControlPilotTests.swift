import Testing
@testable import EVSECore

@Suite("Control pilot (IEC 61851-1 Annex A)")
struct ControlPilotTests {
    @Test("duty cycle for an offered current", arguments: [
        (6.0, 10.0), (10.0, 16.67), (16.0, 26.67), (20.0, 33.33), (32.0, 53.33), (51.0, 85.0), (63.0, 89.2), (80.0, 96.0),
        (3.0, 10.0), (100.0, 96.0),
    ])
    func duty(amps: Double, duty: Double) {
        #expect(abs(PWM.dutyPercent(forAmps: amps) - duty) < 0.01)
    }

    @Test("current a vehicle reads from a duty cycle", arguments: [
        (5.0, nil), (7.9, nil), (8.0, 6.0), (9.5, 6.0), (10.0, 6.0), (26.67, 16.0), (50.0, 30.0), (85.0, 51.0),
        (90.0, 65.0), (96.0, 80.0), (96.5, 80.0), (97.5, nil), (100.0, nil),
    ] as [(Double, Double?)])
    func amps(duty: Double, amps: Double?) {
        let got = PWM.amps(forDutyPercent: duty)
        if let amps { #expect(got.map { abs($0 - amps) < 0.01 } == true) } else { #expect(got == nil) }
    }

    @Test("round trip over the whole PWM range")
    func roundTrip() {
        for tenth in 60...800 {
            let a = Double(tenth) / 10
            let back = PWM.amps(forDutyPercent: PWM.dutyPercent(forAmps: a))
            if a > 51 && a <= 52.5 {
                #expect(back == 51, "\(a) A lies in the overlap of the two formulas and is offered as 51 A")
            } else {
                #expect(back.map { abs($0 - a) < 1e-9 } == true, "\(a) A")
            }
        }
    }

    @Test("signals")
    func signals() {
        #expect(PilotSignal.off.dutyPercent == 100)
        #expect(PilotSignal.stateF.dutyPercent == 0)
        #expect(PilotSignal.highLevelCommunication(amps: 20).dutyPercent == 5)
        #expect(PilotSignal.highLevelCommunication(amps: 20).signaledAmps == 20)
        #expect(PilotSignal.highLevelCommunication(amps: 20).requiresHighLevelCommunication)
        #expect(!PilotSignal.pwm(amps: 20).requiresHighLevelCommunication)
        #expect(PilotSignal.pwm(amps: 16).signaledAmps == 16)
    }

    @Test("Modbus codes of registers 122 and 123 (seeds/000)")
    func modbusCodes() {
        #expect(PilotState.allCases.map(\.modbusCode) == [1, 2, 3, 4, 5, 6])
        #expect(PilotState.a.modbusHexCode == 0x0A)
        #expect(PilotState.e.modbusHexCode == 0x0E)
        #expect(PilotState.c.requestsEnergy && PilotState.d.requestsEnergy && !PilotState.b.requestsEnergy)
        #expect(!PilotState.a.vehicleConnected && !PilotState.e.vehicleConnected && PilotState.b.vehicleConnected)
    }

    @Test("RCMB register parts (seeds/000 registers 136–139)")
    func rcmbParts() {
        #expect(ResidualCurrentReading.registerParts(35.27) == (35, 27))
        #expect(ResidualCurrentReading.registerParts(0) == (0, 0))
        #expect(ResidualCurrentReading.registerParts(-3) == (0, 0))
        #expect(ResidualCurrentReading(rmsMilliamps: 30).exceedsTripThreshold)
        #expect(ResidualCurrentReading(dcMilliamps: 6).exceedsTripThreshold)
        #expect(!ResidualCurrentReading(rmsMilliamps: 29.9, dcMilliamps: 5.9).exceedsTripThreshold)
    }

    @Test("phase rotation maps charge point phases onto grid phases (seeds/004 §7.8)", arguments: [
        (PhaseRotation.rst, PhaseValues(l1: 16, l2: 0, l3: 0)),
        (.str, PhaseValues(l1: 0, l2: 16, l3: 0)),
        (.trs, PhaseValues(l1: 0, l2: 0, l3: 16)),
        (.rts, PhaseValues(l1: 16, l2: 0, l3: 0)),
    ])
    func rotation(rotation: PhaseRotation, grid: PhaseValues) {
        #expect(rotation.toGrid(PhaseValues(l1: 16, l2: 0, l3: 0)) == grid)
        #expect(rotation.toGrid(PhaseValues(all: 10)) == PhaseValues(all: 10))
    }
}
