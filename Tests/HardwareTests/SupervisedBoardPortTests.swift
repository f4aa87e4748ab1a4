import Boards
import EVSECore
@testable import Hardware
import ModbusTCP
import Testing

@Suite struct SupervisedBoardPortTests {
    /// A port on one connector whose board reports its contactor closed.
    func port() -> SupervisedBoardPort {
        let link = BoardLink(connectorCount: 1)
        link.withState { $0.statuses[0] = SupervisedConnectorStatus(pilot: .c, relayClosed: true, signaledAmps: 16) }
        let description = BoardDescription(driver: .phoenixEVCC, link: .tcp(host: "127.0.0.1", port: 502), connectors: [ConnectorHardware(unitID: 180)])
        return SupervisedBoardPort(link: link, description: description, workers: [])
    }

    /// The board has taken the controls it was given (the exchange after them).
    func exchanged(_ p: SupervisedBoardPort) { p.link.withState { $0.sentControlVersions = $0.controlVersions } }

    @Test func aContactorClosedWithinTheReleaseShowsOnlyOnceTheControllerCommandsIt() {
        var p = port()
        p.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        exchanged(p)
        // The vehicle went to C and the board closed on its own: not shown yet (not a welded contactor).
        #expect(p.reading(connector: 1).relayFeedback == .open)
        p.apply(.setRelays(connector: 1, .threePhase))
        exchanged(p)
        #expect(p.reading(connector: 1).relayFeedback == .threePhase)
    }

    @Test func aContactorClosedWithoutAReleaseIsShownClosed() {
        let p = port()
        exchanged(p)
        #expect(p.reading(connector: 1).relayFeedback == .threePhase)
    }
}

@Suite struct SupervisedBoardPortInputTests {
    @Test func anAuxiliaryContactOnABoardInputIsReadThroughItsPolarity() {
        let link = BoardLink(connectorCount: 1)
        let description = BoardDescription(driver: .phoenixEVCC, link: .tcp(host: "127.0.0.1", port: 502), connectors: [ConnectorHardware(unitID: 180)],
                                           inputs: [.rcdFault: InputSource(.board(index: 3), activeLow: true, connector: 1), .input2: InputSource(.board(index: 2))])
        let p = SupervisedBoardPort(link: link, description: description, workers: [])
        link.withState { $0.boardInputLevels = [1: false, 2: true, 3: true] }
        #expect(!p.isActive(.rcdFault) && p.isActive(.input2) && p.input(.input2))
        // The normally closed RCD contact opens: the fault is active.
        link.withState { $0.boardInputLevels[3] = false }
        #expect(p.isActive(.rcdFault))
        #expect(!p.isActive(.mcbTrip))
    }
}

/// A connector's powerline modem interface (`plcInterface`) is checked at start like every other device.
@Suite struct PLCInterfaceStartTests {
    @Test func aMissingModemInterfaceStopsTheStartNamingIt() {
        let description = BoardDescription(driver: .evseDIN, link: .serial(SerialSettings(device: "/dev/ck-nosuch-tty", baudRate: 9600, parity: "none", stopBits: 1)),
                                           connectors: [ConnectorHardware(unitID: 1, plcInterface: "ck-noplc0")])
        #expect { _ = try HardwareBoard.open(description, setup: BoardSetup(connectorCount: 1, voltageV: 230, phaseCount: [3])) } throws: { error in
            let text = (error as? BoardStartError)?.description ?? ""
            return text.contains("PLC interface ck-noplc0 (connectors[0].plcInterface) does not exist") && text.contains("ip link")
        }
    }
}
