import Boards
import EVSECore
import ModbusTCP

/// The Phoenix Contact EV Charge Control (EM-CP-PP-ETH, EV-CC-AC1-M3-…-ETH) over Modbus TCP: one controller, one
/// connector (``PhoenixEVCC`` has the register map and its sources).
///
/// ``open()`` connects, reads the firmware (inputs 105–106) and the status block, and finds the register set: a
/// controller that answers holding 528 takes its current there (EV-CC-…-ETH), one that answers it with exception 02
/// takes it at 300 (EM-CP-PP-ETH). Each ``exchange(_:)`` writes the current and the release (coil 400) only when they
/// changed, or when the coil's read-back shows that the controller lost the release (a restart), then reads the status
/// block, the applied current, the coil and the digital inputs the description wires.
///
/// When ChargeKit goes silent: the register map has no communication timeout (watchdog) register, so the controller
/// keeps the last release and current it was given, and goes on charging a vehicle that is charging. The station
/// withdraws the release when it stops (``close()``). Where a station must stop when its controller software dies, the
/// installer interrupts the controller's enable path with a contact the host holds (a watchdog relay; docs/hardware.md).
public final class PhoenixEVCCDriver: SupervisedBoardDriver {
    let master: ModbusTCPMaster
    let unitID: UInt8
    let lock: LockWiring
    /// The highest board input number the description reads (0: none are read).
    let inputCount: Int
    private(set) var family: PhoenixEVCC.Family = .emCPPPETH
    private var written = PhoenixEVCC.Written()
    private var enabledReadBack: Bool?
    public private(set) var inputLevels: [Int: Bool] = [:]

    public init(host: String, port: Int, connector: ConnectorHardware, inputs: [BoardInput: InputSource],
                requestTimeoutMilliseconds: Int = 1000) {
        master = ModbusTCPMaster(host: host, port: port, connectTimeoutMilliseconds: 2000, requestTimeoutMilliseconds: requestTimeoutMilliseconds)
        unitID = connector.unitID ?? PhoenixEVCC.defaultUnitID
        lock = connector.lock
        inputCount = inputs.values.compactMap { if case .board(let i) = $0.origin { i } else { nil } }.max() ?? 0
    }

    /// What start-up errors call the controller.
    var name: String { "the Phoenix Contact EV Charge Control at \(master.address) (unit \(unitID))" }

    public func open() throws(BoardStartError) -> String {
        do throws(ModbusError) {
            try master.connect()
            let firmware = PhoenixEVCC.firmware(try master.readRegisters(.readInputRegisters, address: PhoenixEVCC.firmwareRegister, quantity: 2, unitID: unitID))
            let block = try master.readRegisters(.readInputRegisters, address: PhoenixEVCC.statusBlockStart,
                                                 quantity: PhoenixEVCC.statusBlockCount, unitID: unitID)
            guard PhoenixEVCC.pilot(block[0]) != nil else {
                throw ModbusError.malformed("input register 100 holds 0x\(String(block[0], radix: 16)), not a status character A–F")
            }
            family = try detectFamily()
            return "Phoenix Contact EV Charge Control (\(family.rawValue) registers), firmware \(firmware.isEmpty ? "unknown" : firmware), unit \(unitID) at \(master.address)"
        } catch {
            master.close()
            let hint: String
            switch error {
            case .connection: hint = "check the address and port, the network, and that the controller is powered"
            case .timeout: hint = "check the unit id (unitId; the EM-CP-PP-ETH answers on 180, the EV-CC-…-ETH on 255) and that Modbus TCP is enabled"
            case .exception, .malformed: hint = "check that this is a Phoenix Contact EV Charge Control with Ethernet and the unit id is its own"
            }
            throw BoardStartError("\(name) cannot be used: \(error); \(hint)")
        }
    }

    private func detectFamily() throws(ModbusError) -> PhoenixEVCC.Family {
        do throws(ModbusError) {
            _ = try master.readRegisters(.readHoldingRegisters, address: PhoenixEVCC.maximumCurrentRegister, quantity: 1, unitID: unitID)
            return .detected(answersRegister528: true)
        } catch {
            guard error == .exception(.illegalDataAddress) else { throw error }
            return .detected(answersRegister528: false)
        }
    }

    public func exchange(_ controls: [SupervisedConnectorControl]) throws -> [SupervisedConnectorStatus] {
        let control = controls.first ?? SupervisedConnectorControl()
        do throws(ModbusError) {
            for write in PhoenixEVCC.writes(for: control, written: written, enabledReadBack: enabledReadBack, family: family) {
                switch write {
                case .current(let register, let amps):
                    try master.writeRegister(address: register, value: amps, unitID: unitID)
                    written.currentAmps = amps
                case .enableCharging(let on):
                    try writeCoil(PhoenixEVCC.enableChargingCoil, on)
                    written.enabled = on
                    enabledReadBack = on
                }
            }
            let block = try master.readRegisters(.readInputRegisters, address: PhoenixEVCC.statusBlockStart,
                                                 quantity: PhoenixEVCC.statusBlockCount, unitID: unitID)
            let current = try master.readRegisters(.readHoldingRegisters, address: PhoenixEVCC.chargingCurrentRegister, quantity: 1, unitID: unitID)[0]
            let enabled = try readBits(PhoenixEVCC.enableChargingCoil, 1, coils: true)[0]
            enabledReadBack = enabled
            if inputCount > 0 {
                let bits = try readBits(PhoenixEVCC.firstInput, UInt16(inputCount), coils: false)
                inputLevels = Dictionary(uniqueKeysWithValues: bits.enumerated().map { ($0.offset + 1, $0.element) })
            }
            do throws(PhoenixEVCC.ReadingError) {
                return [try PhoenixEVCC.status(.init(statusBlock: block, chargingEnabled: enabled, chargingCurrentAmps: current), lock: lock,
                                               lockCommanded: control.locked)]
            } catch {
                throw ModbusError.malformed("\(master.address) unit \(unitID): \(error)")
            }
        } catch {
            // What the controller holds is unknown now (it may have restarted): write everything again next time.
            written = PhoenixEVCC.Written()
            enabledReadBack = nil
            throw error
        }
    }

    private func writeCoil(_ address: UInt16, _ on: Bool) throws(ModbusError) {
        switch try master.send(.writeSingleCoil(address: address, value: on), unitID: unitID) {
        case .writeSingleCoil(let a, let v) where a == address && v == on: return
        case .exception(_, let code): throw .exception(code)
        default: throw .malformed("unit \(unitID) did not echo the write of coil \(address)")
        }
    }

    private func readBits(_ address: UInt16, _ quantity: UInt16, coils: Bool) throws(ModbusError) -> [Bool] {
        let request: ModbusRequest = coils ? .readCoils(address: address, quantity: quantity) : .readDiscreteInputs(address: address, quantity: quantity)
        switch try master.send(request, unitID: unitID) {
        case .bits(_, let bits) where bits.count == Int(quantity): return bits
        case .exception(_, let code): throw .exception(code)
        default: throw .malformed("unit \(unitID) answered a read of \(quantity) bits at \(address) with something else")
        }
    }

    public func close() {
        // Withdraw the release on the way out, so that a stopped station does not leave the controller charging.
        if master.isConnected, written.enabled != false { try? writeCoil(PhoenixEVCC.enableChargingCoil, false) }
        master.close()
    }
}
