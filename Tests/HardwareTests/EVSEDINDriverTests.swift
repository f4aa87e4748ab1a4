import Boards
import EVSECore
@testable import Hardware
import ModbusTCP
import StationModbus
import Testing

/// Holding and input registers by unit, answering like a slave on the bus; a unit in `silent` times out.
final class RegisterBus: ModbusMaster {
    var holding: [UInt8: [UInt16: UInt16]] = [:]
    var inputs: [UInt8: [UInt16: UInt16]] = [:]
    var silent: Set<UInt8> = []
    var writes: [(unit: UInt8, address: UInt16, values: [UInt16])] = []
    var address: String { "/dev/test" }

    func send(_ request: ModbusRequest, unitID: UInt8) throws(ModbusError) -> ModbusResponse {
        guard !silent.contains(unitID) else { throw .timeout }
        func read(_ table: [UInt16: UInt16]?, _ a: UInt16, _ q: UInt16, _ f: FunctionCode) -> ModbusResponse {
            var values: [UInt16] = []
            for k in 0..<q { guard let v = table?[a + k] else { return .exception(function: f.rawValue, .illegalDataAddress) }; values.append(v) }
            return .registers(f, values)
        }
        switch request {
        case .readHoldingRegisters(let a, let q): return read(holding[unitID], a, q, .readHoldingRegisters)
        case .readInputRegisters(let a, let q): return read(inputs[unitID], a, q, .readInputRegisters)
        case .writeMultipleRegisters(let a, let vs):
            for (k, v) in vs.enumerated() { holding[unitID, default: [:]][a + UInt16(k)] = v }
            writes.append((unitID, a, vs))
            return .writeMultiple(.writeMultipleRegisters, address: a, quantity: UInt16(vs.count))
        default: return .exception(function: request.function.rawValue, .illegalFunction)
        }
    }

    func close() {}

    /// An EVSE-DIN's status block: 1000 configured, 1001 output, 1002 vehicle, 1003 PP, 1004, 1005 firmware, 1006, 1007.
    func evseDIN(_ unit: UInt8, vehicle: UInt16 = 1, configured: UInt16 = 0) {
        holding[unit] = [1000: configured, 1001: 0, 1002: vehicle, 1003: 32, 1004: 0, 1005: 18, 1006: 1, 1007: 0]
    }
}

@Suite struct EVSEDINDriverTests {
    @Test func openNamesFirmwareAndTheUnitThatDoesNotAnswer() throws {
        let bus = RegisterBus()
        bus.evseDIN(1); bus.evseDIN(2)
        #expect(try EVSEDINDriver(master: bus, unitIDs: [1, 2]).open() == "EVSE-DIN unit 1 firmware 18, unit 2 firmware 18")
        bus.silent = [2]
        #expect { try EVSEDINDriver(master: bus, unitIDs: [1, 2]).open() } throws: { error in
            let text = (error as? BoardStartError)?.description ?? ""
            return text.contains("connector 2") && text.contains("unit id 2") && text.contains("/dev/test")
        }
    }

    @Test func register1000IsWrittenOnlyWhenItDiffers() throws {
        let bus = RegisterBus()
        bus.evseDIN(1, vehicle: 2, configured: 16)  // after a power cycle: 2000 "current after boot"
        let driver = EVSEDINDriver(master: bus, unitIDs: [1])
        _ = try driver.exchange([SupervisedConnectorControl()])
        #expect(bus.writes.map(\.values) == [[0]])
        _ = try driver.exchange([SupervisedConnectorControl()])
        #expect(bus.writes.count == 1)
        let s = try driver.exchange([SupervisedConnectorControl(released: true, currentAmps: 13.6)])
        #expect(bus.writes.map(\.values) == [[0], [13]])
        #expect(s.first?.pilot == .b)
        bus.silent = [1]
        #expect(throws: ModbusError.timeout) { try driver.exchange([SupervisedConnectorControl()]) }
    }
}

@Suite struct ChargeMeterDeviceTests {
    @Test func notCommunicatingAfterTheLimitAndBackOnTheNextGoodPoll() throws {
        let bus = RegisterBus()
        let layout = ChargeMeterModel.sdm630.layout
        let reading = MeterReading(energyWh: 5000, powerW: .zero, currentA: .zero, voltageV: PhaseValues(l1: 230, l2: 230, l3: 230))
        var regs: [UInt16: UInt16] = [:]
        for r in layout.reads { for k in 0..<r.quantity { regs[r.address + k] = 0 } }
        for (d, v) in layout.registers(for: reading) { for (k, w) in d.encode(v).enumerated() { regs[d.address + UInt16(k)] = w } }
        bus.inputs[11] = regs
        let link = BoardLink(connectorCount: 1)
        let meter = ChargeMeterDevice(master: bus, description: ChargeMeterDescription(model: .sdm630, unitID: 11), connectorIndex: 0,
                                      link: link, failedPollsLimit: 3)
        try meter.check()
        #expect(link.snapshot.meters[0]?.energyWh == 5000)
        #expect(link.snapshot.meters[0]?.communicating == true)
        bus.silent = [11]
        meter.poll(); meter.poll()
        #expect(link.snapshot.meters[0]?.communicating == true)  // two failures: not yet
        meter.poll()
        #expect(link.snapshot.meters[0]?.communicating == false)
        #expect(link.snapshot.meters[0]?.energyWh == 5000)  // the last reading stays
        bus.silent = []
        meter.poll()
        #expect(link.snapshot.meters[0]?.communicating == true)
    }

    @Test func aSilentMeterStopsTheStartNamingIt() {
        let bus = RegisterBus()
        let meter = ChargeMeterDevice(master: bus, description: ChargeMeterDescription(model: .abbB23, unitID: 5), connectorIndex: 1,
                                      link: BoardLink(connectorCount: 2), failedPollsLimit: 3)
        #expect { try meter.check() } throws: { error in
            let text = (error as? BoardStartError)?.description ?? ""
            return text.contains("abb-b23") && text.contains("connector 2") && text.contains("unit id 5")
        }
    }
}

@Suite struct SupervisedContactorFeedbackTests {
    @Test func theBoardsContactorCountsOnlyAfterTheControllersCommand() {
        let link = BoardLink(connectorCount: 1)
        var port = SupervisedBoardPort(link: link, description: BoardDescription(driver: .evseDIN, link: nil, pollIntervalMilliseconds: 200,
                                                                                  connectors: [ConnectorHardware(unitID: 1)]),
                                       workers: [])
        port.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        // The board saw the release and the vehicle's C, and closed its contactor on its own.
        link.withState { s in
            s.statuses[0] = SupervisedConnectorStatus(pilot: .c, relayClosed: true, signaledAmps: 16)
            s.sentControlVersions = s.controlVersions
        }
        #expect(port.reading(connector: 1).relayFeedback == .open)
        port.apply(.setRelays(connector: 1, .threePhase))
        #expect(port.reading(connector: 1).relayFeedback == .threePhase)
        // Withheld, and the board still reports it closed once it had the withdrawal: that is what the controller sees.
        port.apply(.setPilot(connector: 1, .off))
        port.apply(.setRelays(connector: 1, .open))
        link.withState { $0.sentControlVersions = $0.controlVersions }
        #expect(port.reading(connector: 1).relayFeedback == .threePhase)
    }
}

@Suite struct SupervisedBoardErrorsTests {
    @Test func aBoardsOwnRCDReportCountsAsTheRCDContact() {
        let link = BoardLink(connectorCount: 1)
        let port = SupervisedBoardPort(link: link, description: BoardDescription(driver: .evseDIN, connectors: [ConnectorHardware(unitID: 1)]),
                                       workers: [])
        link.withState { $0.statuses[0] = SupervisedConnectorStatus(pilot: .b, errors: ["rcdFault", "contactorWelded"]) }
        let r = port.reading(connector: 1)
        #expect(r.rcdTripped)
        #expect(!r.mcbTripped)
        #expect(r.boardErrors == ["contactorWelded"])
    }
}
