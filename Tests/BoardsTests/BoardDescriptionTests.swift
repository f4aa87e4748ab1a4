import Boards
import EVSECore
import ModbusTCP
import Testing

@Suite struct BoardDescriptionTests {
    func read(_ text: String) throws(BoardDescriptionError) -> BoardDescription { try BoardDescription.read(Array(text.utf8)) }

    func failure(_ text: String) -> BoardDescriptionError? {
        do { _ = try read(text); return nil } catch { return error }
    }

    @Test func evseDINWithMetersOnItsBusAndInputs() throws {
        let d = try read("""
            {"driver": "evse-din", "serial": {"device": "/dev/ttyUSB0", "baudRate": 9600, "parity": "even"},
             "connectors": [{"unitId": 1, "meter": {"model": "eastron-sdm630", "unitId": 11}},
                            {"unitId": 2, "meter": {"model": "abb-b23", "unitId": 12}}],
             "rfid": {"pcsc": {}},
             "inputs": {"opto1": {"file": "/sys/class/gpio/gpio17/value", "activeLow": true},
                        "mcbTrip": {"file": "/sys/class/gpio/gpio18/value", "connector": 2}}}
            """)
        #expect(d.driver == .evseDIN)
        #expect(d.link == .serial(SerialSettings(device: "/dev/ttyUSB0", baudRate: 9600, parity: "even", stopBits: 1)))
        #expect(d.connectors.map(\.unitID) == [1, 2])
        #expect(d.connectors[0].meter == ChargeMeterDescription(model: .sdm630, unitID: 11, link: nil))
        #expect(d.rfid == .pcsc(reader: ""))
        #expect(d.inputs[.opto1] == InputSource(.file(path: "/sys/class/gpio/gpio17/value"), activeLow: true))
        #expect(d.inputs[.mcbTrip]?.connector == 2)
        #expect(d.inputs[.opto1]?.isActive(level: false) == true)
        #expect(d.pollIntervalMilliseconds == 100)
    }

    @Test func openEVSEDefaultsTo115200Baud() throws {
        let d = try read(#"{"driver": "openevse", "serial": {"device": "/dev/ttyAMA0"}, "connectors": [{}]}"#)
        #expect(d.link == .serial(SerialSettings(device: "/dev/ttyAMA0", baudRate: 115200, parity: "none", stopBits: 1)))
        #expect(d.connectors[0].lock == .none)
    }

    @Test func phoenixOverTCP() throws {
        let d = try read(#"{"driver": "phoenix-ev-charge-control", "tcp": {"host": "192.168.0.8"}, "connectors": [{"lock": "board", "meter": {"model": "carlo-gavazzi-em340", "unitId": 1, "tcp": {"host": "192.168.0.9", "port": 5020}}}], "inputs": {"rcdFault": {"board": 2}}}"#)
        #expect(d.link == .tcp(host: "192.168.0.8", port: 502))
        #expect(d.connectors[0].unitID == 180)
        #expect(d.connectors[0].meter?.link == .tcp(host: "192.168.0.9", port: 5020))
        #expect(d.inputs[.rcdFault] == InputSource(.board(index: 2), connector: 1))
    }

    @Test(arguments: [
        (#"{"driver": "acme", "connectors": [{}]}"#, "driver"),
        (#"{"driver": "openevse", "connectors": [{}]}"#, "serial"),
        (#"{"driver": "openevse", "tcp": {"host": "a"}, "connectors": [{}]}"#, "tcp"),
        (#"{"driver": "openevse", "serial": {"device": "/dev/x", "baudRate": 115201}, "connectors": [{}]}"#, "serial.baudRate"),
        (#"{"driver": "openevse", "serial": {"device": "ttyUSB0"}, "connectors": [{}]}"#, "serial.device"),
        (#"{"driver": "openevse", "serial": {"device": "/dev/x"}, "connectors": [{}, {}]}"#, "connectors"),
        (#"{"driver": "openevse", "serial": {"device": "/dev/x"}, "connectors": [{"lock": "board"}]}"#, "connectors[0].lock"),
        (#"{"driver": "openevse", "serial": {"device": "/dev/x"}, "conectors": []}"#, "conectors"),
        (#"{"driver": "openevse", "serial": {"device": "/dev/x"}, "connectors": [{"meter": {"model": "eastron-sdm630", "unitId": 1}}]}"#, "connectors[0].meter"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"unitId": 0}]}"#, "connectors[0].unitId"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"unitId": 1, "meter": {"model": "eastron-sdm630", "unitId": 1}}]}"#, "connectors[0].meter.unitId"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"unitId": 3}, {"unitId": 3}]}"#, "connectors[1].unitId"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"meter": {"model": "sdm", "unitId": 2}}]}"#, "connectors[0].meter.model"),
        (#"{"driver": "phoenix-ev-charge-control", "tcp": {"host": "h"}, "connectors": [{"meter": {"model": "abb-b23", "unitId": 2}}]}"#, "connectors[0].meter"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{}, {}], "inputs": {"rcdFault": {"file": "/x"}}}"#, "inputs.rcdFault.connector"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{}], "inputs": {"opto1": {"board": 1}}}"#, "inputs.opto1.board"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"leds": {"red": "../x"}}]}"#, "connectors[0].leds.red"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "pollIntervalMs": 5, "connectors": [{}]}"#, "pollIntervalMs"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": "eth 1"}]}"#, "connectors[0].plcInterface"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": "averyveryverylong"}]}"#, "connectors[0].plcInterface"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": ""}]}"#, "connectors[0].plcInterface"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": 1}]}"#, "connectors[0].plcInterface"),
        (#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": "eth1"}, {"plcInterface": "eth1"}]}"#, "connectors[1].plcInterface"),
        (#"{"driver": "evse-din", "#, ""),
    ])
    func wrongDescriptionsNameTheField(text: String, path: String) {
        let e = failure(text)
        #expect(e?.path == path, "\(e.map { "\($0)" } ?? "accepted")")
        #expect(e?.message.isEmpty == false)
    }

    /// Each connector may name its powerline modem's interface (ISO 15118-3 SLAC); without it the connector has none.
    @Test func plcInterfacePerConnector() throws {
        let d = try read(#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": "eth1"}, {"plcInterface": "qca0"}]}"#)
        #expect(d.connectors.map(\.plcInterface) == ["eth1", "qca0"])
        let e = try read(#"{"driver": "openevse", "serial": {"device": "/dev/x"}, "connectors": [{}]}"#)
        #expect(e.connectors[0].plcInterface == nil)
        #expect(failure(#"{"driver": "evse-din", "serial": {"device": "/dev/x"}, "connectors": [{"plcInterface": "a/b"}]}"#)?.message.contains("e.g. eth1") == true)
    }

    @Test func controlFollowsThePilotCommand() {
        var c = SupervisedConnectorControl()
        c.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        #expect(c == SupervisedConnectorControl(released: true, currentAmps: 16))
        c.apply(.setRelays(connector: 1, .threePhase))
        c.apply(.setLock(connector: 1, locked: true))
        // The contactor command is noted for the board port (a board closes its contactor itself).
        #expect(c == SupervisedConnectorControl(released: true, currentAmps: 16, locked: true, contactorCommanded: true))
        c.apply(.setPilot(connector: 1, .highLevelCommunication(amps: 100)))
        #expect(c.currentAmps == 80)
        c.apply(.setPilot(connector: 1, .stateF))
        #expect(c == SupervisedConnectorControl(released: false, currentAmps: 0, stateF: true, locked: true, contactorCommanded: true))
        c.apply(.setRelays(connector: 1, .open))
        #expect(!c.contactorCommanded)
        c.apply(.setPilot(connector: 1, .off))
        #expect(!c.released && !c.stateF)
    }
}
