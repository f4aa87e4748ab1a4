import Boards
import EVSECore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A board with a PC/SC card reader of its own beside it: everything comes from `base` except the cards and the
/// reader's health, which come from the reader (``PCSCCardReader`` on its worker thread). The station uses it for the
/// simulated board with a real reader (a board description with `"driver": "simulated"` and `"rfid": {"pcsc": …}`):
/// vehicles are simulated, cards are real.
public struct PCSCReaderBoard<Base: HardwarePort>: HardwarePort {
    public private(set) var base: Base
    private let link: BoardLink
    private let worker: DeviceWorker

    /// Opens the reader the description names (a ``BoardStartError`` if there is none) and starts its worker.
    public static func open(_ base: Base, description: BoardDescription) throws(BoardStartError) -> PCSCReaderBoard {
        let link = BoardLink(connectorCount: base.connectorCount)
        guard let worker = try HardwareBoard.openCardReader(description, link: link) else {
            throw BoardStartError("the board description names no card reader (rfid)")
        }
        return PCSCReaderBoard(base: base, link: link, worker: worker)
    }

    private init(base: Base, link: BoardLink, worker: DeviceWorker) { self.base = base; self.link = link; self.worker = worker }

    public var connectorCount: Int { base.connectorCount }
    public func reading(connector: Int) -> ConnectorReading { base.reading(connector: connector) }
    public var rfidReaderHealthy: Bool { link.snapshot.rfidHealthy }
    public func input(_ input: DigitalInput) -> Bool { base.input(input) }
    public mutating func takeRFIDReads() -> [RFIDRead] {
        link.withState { s in defer { s.rfidReads = [] }; return s.rfidReads }
    }
    public mutating func apply(_ command: HardwareCommand) { base.apply(command) }
    public func persistentState() -> Data? { base.persistentState() }
    public var mainsPowerLost: Bool { base.mainsPowerLost }
    public var hasPhaseSwitch: Bool { base.hasPhaseSwitch }
    public mutating func advance(to monotonic: Date) { base.advance(to: monotonic) }
    public mutating func close() {
        worker.stop()
        base.close()
    }
}

/// The simulator's commands reach the simulated board, except those of its built-in reader: the cards come from the
/// PC/SC reader.
extension PCSCReaderBoard: SimulatedHardware where Base: SimulatedHardware {
    public mutating func perform(_ command: SimulatorCommand) throws(SimulatorCommandError) {
        switch command {
        case .rfid:
            throw SimulatorCommandError(.conflict, "the card reader is the PC/SC reader of the board description: present the card to it")
        case .fault(let fault, _, _) where fault == "rfid":
            throw SimulatorCommandError(.conflict, "the card reader is the PC/SC reader of the board description: unplug it (or stop pcscd) to make it fail")
        default:
            try base.perform(command)
        }
    }

    public func simulatorStatus(timeScale: Double) -> SimulatorStatus { base.simulatorStatus(timeScale: timeScale) }
}
