import Boards
import EVSECore
import ModbusTCP
import StationModbus

/// A connector's charge meter read through a ``ModbusMaster`` (on the board's RS-485 bus, a bus of its own, or Modbus
/// TCP) with its model's register layout (``ChargeMeterModel/layout``). Each poll reads the layout's registers and
/// leaves the reading in ``BoardLink/State/meters``; after `failedPollsLimit` failed polls in a row the reading is
/// marked not communicating (the controller raises "OCPP meter not communicating", as for the Modbus TCP charge
/// meters), and the next good poll marks it communicating again. Until then the last good reading stays.
final class ChargeMeterDevice: PolledDevice {
    let master: any ModbusMaster
    let description: ChargeMeterDescription
    let connectorIndex: Int
    let link: BoardLink
    let failedPollsLimit: Int
    private let layout: MeterLayout
    private var failures = 0

    init(master: any ModbusMaster, description: ChargeMeterDescription, connectorIndex: Int, link: BoardLink, failedPollsLimit: Int) {
        self.master = master; self.description = description; self.connectorIndex = connectorIndex; self.link = link
        self.failedPollsLimit = max(1, failedPollsLimit)
        layout = description.model.layout
    }

    /// What start-up errors call the meter.
    var name: String { "the \(description.model.rawValue) meter of connector \(connectorIndex + 1) (unit id \(description.unitID) on \(master.address))" }

    /// One read of every register of the layout.
    func read() throws(ModbusError) -> MeterReading {
        var registers: [UInt16: UInt16] = [:]
        for r in layout.reads {
            let values = try master.readRegisters(layout.function, address: r.address, quantity: r.quantity, unitID: description.unitID)
            for (k, v) in values.enumerated() { registers[r.address &+ UInt16(k)] = v }
        }
        guard let reading = layout.reading(registers) else {
            throw .malformed("unit \(description.unitID) answered registers that do not decode as a \(description.model.rawValue) reading")
        }
        return reading
    }

    /// At start: the meter must answer one read.
    func check() throws(BoardStartError) {
        if let rtu = master as? ModbusRTUMaster {
            do { try rtu.openPort() } catch { throw BoardStartError("\(name): \(error.description)") }
        }
        do {
            let reading = try read()
            store(reading)
        } catch {
            throw BoardStartError("\(name) did not answer: \(error); check its unit id, its line settings (baud rate, parity, stop bits as on the bus) and the wiring")
        }
    }

    func poll() {
        do {
            store(try read())
        } catch {
            failures += 1
            let failed = failures >= failedPollsLimit
            let flipped = link.withState { s -> Bool in
                guard s.meters.indices.contains(connectorIndex) else { return false }
                s.lastFailure = "\(name): \(error)"
                guard failed else { return false }
                let was = s.meters[connectorIndex]?.communicating ?? true
                s.meters[connectorIndex] = (s.meters[connectorIndex] ?? MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero))
                s.meters[connectorIndex]?.communicating = false
                return was
            }
            // The station steps at once on the meter's loss (HardwarePort.observeChanges).
            if flipped { link.changed() }
        }
    }

    private func store(_ reading: MeterReading) {
        failures = 0
        let recovered = link.withState { s -> Bool in
            guard s.meters.indices.contains(connectorIndex) else { return false }
            let was = s.meters[connectorIndex]?.communicating
            var r = reading
            r.communicating = true
            s.meters[connectorIndex] = r
            return was == false
        }
        if recovered { link.changed() }
    }

    func close() { master.close() }
}
