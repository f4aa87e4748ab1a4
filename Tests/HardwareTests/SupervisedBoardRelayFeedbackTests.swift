import Boards
import EVSECore
@testable import Hardware
import ModbusTCP
import Testing

/// The contactor feedback the supervised-board port gives the controller: a board that closes its contactor itself
/// (released, vehicle in C) is not taken for a welded one before the controller commanded it closed, and one closed
/// while charging is withheld is shown as it is.
@Suite struct SupervisedBoardRelayFeedbackTests {
    func port() -> SupervisedBoardPort {
        let d = BoardDescription(driver: .openEVSE, link: .serial(SerialSettings(device: "/dev/null", baudRate: 115200, parity: "none", stopBits: 1)),
                                 connectors: [ConnectorHardware()])
        return SupervisedBoardPort(link: BoardLink(connectorCount: 1), description: d, workers: [])
    }

    /// The board's exchange: its status, and every control so far delivered.
    func exchange(_ p: SupervisedBoardPort, relayClosed: Bool) {
        p.link.withState { s in
            s.statuses[0] = SupervisedConnectorStatus(pilot: .c, relayClosed: relayClosed)
            s.sentControlVersions = s.controlVersions
        }
    }

    @Test func closedByTheBoardBeforeTheControllerCommandsItReadsOpen() {
        var p = port()
        p.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        exchange(p, relayClosed: true)
        #expect(p.reading(connector: 1).relayFeedback == .open)
        p.apply(.setRelays(connector: 1, .threePhase))
        #expect(p.reading(connector: 1).relayFeedback.isClosed)
    }

    @Test func closedWhileWithheldIsShownAsItIs() {
        var p = port()
        p.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        p.apply(.setRelays(connector: 1, .threePhase))
        exchange(p, relayClosed: true)
        p.apply(.setRelays(connector: 1, .open))
        p.apply(.setPilot(connector: 1, .off))
        #expect(p.reading(connector: 1).relayFeedback == .open, "the withdrawal has not reached the board yet")
        exchange(p, relayClosed: true)
        #expect(p.reading(connector: 1).relayFeedback.isClosed, "still closed after the board was told: welded")
    }
}
