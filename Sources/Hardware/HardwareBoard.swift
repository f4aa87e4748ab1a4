import Boards
import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Opens the hardware a board description names and returns the station's port to it. Every device is opened and
/// checked before the station starts: one that is missing, does not answer or is not what the description says stops
/// the start with a ``BoardStartError`` that names it. Each link (a serial bus, a TCP connection) gets one worker thread
/// that polls its devices in turn; devices on one serial bus (an EVSE-DIN board and the meters beside it) share its
/// worker, so they never talk at once.
public enum HardwareBoard {
    /// Opens the board described by `description` for a station set up as `setup`.
    public static func open(_ description: BoardDescription, setup: BoardSetup) throws(BoardStartError) -> SupervisedBoardPort {
        guard description.driver != .simulated else { throw BoardStartError("the simulated board is opened by --simulate's factory") }
        guard description.connectors.count == setup.connectorCount else {
            throw BoardStartError("the board description has \(description.connectors.count) connector(s) but the station is set up for \(setup.connectorCount) (ConnectorCount)")
        }
        for (i, c) in description.connectors.enumerated() where setup.hasLockActuator.indices.contains(i) {
            if c.lock == .none && setup.hasLockActuator[i] {
                throw BoardStartError("connector \(i + 1): the board description has no lock actuator (lock: none, a tethered cable) but ConnectorKind.\(i + 1) is a socket; set ConnectorKind.\(i + 1) to Cable or describe the board's lock")
            }
        }
        // A connector's powerline modem (ISO 15118) must be there before the station starts, like every other device.
        for (i, c) in description.connectors.enumerated() {
            if let name = c.plcInterface, if_nametoindex(name) == 0 {
                throw BoardStartError("connector \(i + 1): PLC interface \(name) (connectors[\(i)].plcInterface) does not exist: check `ip link` and that the powerline modem's driver is loaded")
            }
        }
        let link = BoardLink(connectorCount: description.connectors.count)
        // A worker closes its devices when it stops: a failure after the first worker started stops those running.
        var workers: [DeviceWorker] = []
        var opened: [any PolledDevice] = []
        func closeAll() {
            for w in workers { w.stop() }
            for d in opened { d.close() }
        }
        do throws(BoardStartError) {
            let driver = try makeDriver(description)
            let identity = try driver.open()
            link.withState { $0.identity = identity }
            let board = BoardDevice(driver: driver, link: link)
            // Devices opened before their worker runs; closed here if the start fails before that.
            opened = [board]
            // One exchange before the station's first control step, so that it starts from the board's status (a
            // vehicle plugged in later is a plug-in, not one found at start) and not from "board not communicating".
            board.poll()
            let interval = description.pollIntervalMilliseconds
            // Devices by link: the board's own (first), then each further serial device or TCP address in order.
            var groups: [(name: String, devices: [any PolledDevice])] = [("board \(description.link?.address ?? "")", [board])]
            var masters: [String: any ModbusMaster] = [:]
            for (i, c) in description.connectors.enumerated() {
                guard let m = c.meter else { continue }
                let master: any ModbusMaster
                var group = 0
                if let own = m.link {
                    if let existing = masters[own.address] {
                        master = existing
                    } else {
                        master = try makeMeterMaster(own)
                        masters[own.address] = master
                        groups.append(("meters \(own.address)", []))
                    }
                    group = groups.firstIndex { $0.name == "meters \(own.address)" } ?? 0
                } else {
                    // On the board's bus: the board's own master, polled by the board's worker, so the bus has one
                    // request at a time.
                    guard let shared = (driver as? any SharesModbusBus)?.busMaster else {
                        throw BoardStartError("connectors[\(i)].meter: the \(description.driver.rawValue) board's serial line does not carry Modbus; give the meter its own serial or tcp link")
                    }
                    master = shared
                }
                let meter = ChargeMeterDevice(master: master, description: m, connectorIndex: i, link: link,
                                              failedPollsLimit: setup.meterFailedPolls)
                opened.append(meter)
                try meter.check()
                groups[group].devices.append(meter)
            }
            workers = groups.map { DeviceWorker(name: $0.name, intervalMilliseconds: interval, devices: $0.devices) }
            opened = []
            let inputs = InputFileDevice(description.inputs, link: link)
            if !inputs.isEmpty {
                try inputs.check()
                workers.append(DeviceWorker(name: "inputs", intervalMilliseconds: 100, devices: [inputs]))
            }
            let leds = LinuxLEDDevice(root: description.ledRoot, outputs: description.connectors.map(\.leds), link: link)
            if !leds.isEmpty {
                try leds.check()
                workers.append(DeviceWorker(name: "leds", intervalMilliseconds: 50, devices: [leds]))
            }
            if let reader = try openCardReader(description, link: link) { workers.append(reader) }
            return SupervisedBoardPort(link: link, description: description, workers: workers)
        } catch {
            closeAll()
            throw error
        }
    }

    /// Opens the card reader the description names (``PCSCCardReader``) and starts its worker thread; nil without one.
    /// A reader that is missing at start stops the start with a ``BoardStartError`` naming it and what to check.
    static func openCardReader(_ description: BoardDescription, link: BoardLink) throws(BoardStartError) -> DeviceWorker? {
        guard case .pcsc(let wanted)? = description.rfid else { return nil }
        let reader = PCSCCardReader(reader: wanted, link: link)
        do throws(BoardStartError) {
            let name = try reader.open()
            Logger(label: "chargekit.rfid").notice("RFID reader: \"\(name)\" (PC/SC)")
        } catch {
            reader.close()
            throw error
        }
        // Each poll waits up to PCSCCardReader.waitMilliseconds for a card; between two, 100 ms (a missing reader is
        // looked for ten times a second).
        return DeviceWorker(name: "rfid", intervalMilliseconds: 100, devices: [reader])
    }

    /// The Modbus master of a charge meter that has a link of its own (one per serial device or TCP address; meters on
    /// one link share it and its worker).
    static func makeMeterMaster(_ link: DeviceLink) throws(BoardStartError) -> any ModbusMaster {
        switch link {
        case .serial(let s):
            return ModbusRTUMaster(s)
        case .tcp(let host, let port):
            return ModbusTCPMaster(host: host, port: port)
        }
    }

    /// The driver the description names, not yet opened.
    static func makeDriver(_ d: BoardDescription) throws(BoardStartError) -> any SupervisedBoardDriver {
        switch d.driver {
        case .phoenixEVCC:
            guard case .tcp(let host, let port) = d.link, let connector = d.connectors.first else {
                throw BoardStartError("the phoenix-ev-charge-control driver needs a tcp link and one connector")
            }
            return PhoenixEVCCDriver(host: host, port: port, connector: connector, inputs: d.inputs)
        case .openEVSE:
            guard case .serial(let settings)? = d.link else { throw BoardStartError("the openevse driver needs a serial line") }
            return OpenEVSEDriver(settings: settings)
        case .evseDIN:
            guard case .serial(let s)? = d.link else { throw BoardStartError("the EVSE-DIN board needs its serial line") }
            return EVSEDINDriver(master: ModbusRTUMaster(s), unitIDs: d.connectors.map { $0.unitID ?? 1 })
        case .simulated:
            throw BoardStartError("the simulated board is opened by --simulate's factory")
        }
    }
}

/// A board driver whose link is a Modbus bus other devices (charge meters) can share: they are polled through the
/// same master by the board's worker.
protocol SharesModbusBus {
    var busMaster: any ModbusMaster { get }
}
