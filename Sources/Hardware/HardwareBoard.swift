import Boards
import EVSECore
import Foundation

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
        let link = BoardLink(connectorCount: description.connectors.count)
        var opened: [any PolledDevice] = []
        func closeAll() { for d in opened { d.close() } }
        do throws(BoardStartError) {
            let driver = try makeDriver(description)
            let identity = try driver.open()
            link.withState { $0.identity = identity }
            let board = BoardDevice(driver: driver, link: link)
            opened.append(board)
            // One exchange before the station starts: its first control step reads the board's status, not "no board yet"
            // (which would raise "Connector board not communicating" for the moment until the worker's first poll).
            board.poll()
            var workers: [DeviceWorker] = []
            let interval = description.pollIntervalMilliseconds
            workers.append(DeviceWorker(name: "board \(description.link?.address ?? "")", intervalMilliseconds: interval, devices: [board]))
            let inputs = InputFileDevice(description.inputs, link: link)
            if !inputs.isEmpty {
                try inputs.check()
                opened.append(inputs)
                workers.append(DeviceWorker(name: "inputs", intervalMilliseconds: 100, devices: [inputs]))
            }
            return SupervisedBoardPort(link: link, description: description, workers: workers)
        } catch {
            closeAll()
            throw error
        }
    }

    /// The driver the description names, not yet opened.
    static func makeDriver(_ d: BoardDescription) throws(BoardStartError) -> any SupervisedBoardDriver {
        switch d.driver {
        case .openEVSE:
            guard case .serial(let settings)? = d.link else { throw BoardStartError("the openevse driver needs a serial line") }
            return OpenEVSEDriver(settings: settings)
        case .simulated, .evseDIN, .phoenixEVCC:
            throw BoardStartError("the \(d.driver.rawValue) driver is not in this build")
        }
    }
}
