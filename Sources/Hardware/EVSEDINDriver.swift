import Boards
import EVSECore
import ModbusTCP

/// The EVSE-DIN / SimpleEVSE-WB board (EV Racing): one board per connector, all on one RS-485 bus, each with its own
/// unit id (`connectors[i].unitId`). The registers and what they mean are in ``EVSEDINRegisters`` (from the
/// manufacturer's datasheet).
///
/// Each exchange reads every board's status block (1000…1007) and writes register 1000 when it does not hold what the
/// controller asks: after a change of the controls, and also after the board lost it (a power cycle makes it take
/// register 2000, current after boot), so the board never keeps a current ChargeKit did not give it for longer than
/// one poll interval while ChargeKit runs.
///
/// When ChargeKit goes silent the board keeps the last current of register 1000: the datasheet lists no communication
/// watchdog (``EVSEDINRegisters/silenceNote``). The installer sets register 2000 (current after boot) to the smallest
/// current the installation allows; docs/hardware.md says so.
final class EVSEDINDriver: SupervisedBoardDriver {
    let master: any ModbusMaster
    let unitIDs: [UInt8]

    init(master: any ModbusMaster, unitIDs: [UInt8]) {
        self.master = master
        self.unitIDs = unitIDs
    }

    func open() throws(BoardStartError) -> String {
        if let rtu = master as? ModbusRTUMaster {
            do { try rtu.openPort() } catch { throw BoardStartError("EVSE-DIN: \(error.description)") }
        }
        var parts: [String] = []
        for (i, unit) in unitIDs.enumerated() {
            do {
                let r = try master.readRegisters(.readHoldingRegisters, address: EVSEDINRegisters.statusBlock.address,
                                                 quantity: EVSEDINRegisters.statusBlock.quantity, unitID: unit)
                _ = try EVSEDINRegisters.status(r)
                parts.append("unit \(unit) firmware \(r[5])")
            } catch {
                throw BoardStartError("EVSE-DIN of connector \(i + 1) (unit id \(unit) on \(master.address)) did not answer a read of registers 1000–1007: \(error); "
                                      + "check the RS-485 wiring (A/B, termination), the unit id (register 2001), that Modbus is enabled on the board and the line settings (default 9600 baud, 8N1)")
            }
        }
        return "EVSE-DIN " + parts.joined(separator: ", ")
    }

    func exchange(_ controls: [SupervisedConnectorControl]) throws -> [SupervisedConnectorStatus] {
        var statuses: [SupervisedConnectorStatus] = []
        for (i, unit) in unitIDs.enumerated() {
            let wanted = EVSEDINRegisters.configuredAmps(for: controls.indices.contains(i) ? controls[i] : SupervisedConnectorControl())
            var r = try master.readRegisters(.readHoldingRegisters, address: EVSEDINRegisters.statusBlock.address,
                                             quantity: EVSEDINRegisters.statusBlock.quantity, unitID: unit)
            if r[0] != wanted {
                try master.writeRegisters(address: EVSEDINRegisters.configuredAmps, values: [wanted], unitID: unit)
                r = try master.readRegisters(.readHoldingRegisters, address: EVSEDINRegisters.statusBlock.address,
                                             quantity: EVSEDINRegisters.statusBlock.quantity, unitID: unit)
            }
            statuses.append(try EVSEDINRegisters.status(r))
        }
        return statuses
    }

    func close() { master.close() }
}

extension EVSEDINDriver: SharesModbusBus {
    var busMaster: any ModbusMaster { master }
}
