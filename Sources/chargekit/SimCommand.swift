import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import OCPP16
import App
import Persistence
import ChargePoint
import EVSECore
import StationModbus

/// `chargekit sim …` — drives the simulator of a running station through its local API (`/api/sim/…`).
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Drive the simulated hardware of a running station.",
        discussion: """
            Examples:
              chargekit sim plug 1 --ev 3p-16a        plug an 11 kW three-phase car into connector 1
              chargekit sim rfid 04567DAA5F3580       hold a card to the reader
              chargekit sim unplug 1                  pull the cable (refused while locked; --force pulls anyway)
              chargekit sim fault 1 rcd               inject a residual current fault (--clear removes it)
              chargekit sim fault rfid                break the RFID reader
              chargekit sim input opto1 on            energise the load-shedding input 'Opto 1 In'
              chargekit sim target 1 80               let the car on connector 1 stop at 80 % state of charge
              chargekit sim status                    show vehicles, faults, inputs
              chargekit sim meter --model siemens7KM2200 --port 5020 --station http://127.0.0.1:8080
                                                      a simulated grid meter (building load + the station)
            EV profiles: <phases>p-<amps>a, e.g. 1p-16a, 1p-32a, 2p-16a, 3p-16a, 3p-32a.
            Faults: rcd, welded, lock, meter, diode, ev-error (per connector); rfid (station).
            """,
        subcommands: [Plug.self, Unplug.self, RFID.self, Fault.self, Input.self, Target.self, Status.self, Meter.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "Data directory of the running station (to find its API).")
        var dataDir = "./chargekit-data"
        @Option(help: "Base URL of the station's API, e.g. http://127.0.0.1:8080 (instead of --data-dir).")
        var url: String?
        @Option(name: .customLong("api-token"),
                help: "The station's API token for --url (apiToken in its station.json; default: $CHARGEKIT_API_TOKEN).")
        var apiToken: String?
        @Flag(help: "Print the simulator state as JSON afterwards.")
        var json = false

        func client() throws -> LocalHTTPClient {
            if let url { return try LocalHTTPClient(baseURL: url, token: apiToken ?? LocalHTTPClient.environmentToken) }
            let dir = DataDirectory(dataDir)
            guard dir.isStationRunning(), let info = dir.readRuntime() else {
                throw fail("no station is running on data directory \(dataDir); start one with 'chargekit station --simulate' or give --url", code: 2)
            }
            return try LocalHTTPClient(info)
        }

        func send(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws {
            let data = try body.map { try JSONEncoder().encode(JSONValue.from($0)) }
            let response: LocalHTTPClient.Response
            do {
                response = try client().request(method, path, body: data)
            } catch let e as LocalHTTPClient.Failure {
                throw fail(e.description, code: 2)
            }
            guard (200..<300).contains(response.status) else {
                let obj = try? JSONDecoder().decode(JSONObject.self, from: response.body)
                throw fail(obj?["error"]?.stringValue ?? "HTTP \(response.status)")
            }
            if json {
                print(String(decoding: response.body, as: UTF8.self))
            } else {
                printStatus(response.body)
            }
        }

        func printStatus(_ body: Data) {
            guard let obj = try? JSONDecoder().decode(JSONObject.self, from: body) else { return }
            for c in obj["connectors"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                let id = c["id"]?.numberValue.map(Int.init) ?? 0
                let faults = c["faults"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let energy = c["energyWh"]?.numberValue ?? 0
                let current = c["currentA"]?.objectValue
                func amps(_ phase: String) -> String { (current?[phase]?.numberValue ?? 0).fixed(1) }
                var line = "connector \(id): "
                if let v = c["vehicle"]?.objectValue {
                    func text(_ key: String) -> String { v[key].map(\.plainText) ?? "?" }
                    line += "vehicle \(text("phases"))-phase \(text("maxCurrentAmps")) A, SoC \(text("stateOfChargePercent")) %, pilot \(text("pilot"))"
                } else {
                    line += "no vehicle"
                }
                line += ", current \(amps("l1"))/\(amps("l2"))/\(amps("l3")) A, meter \(energy.fixed(0)) Wh"
                if !faults.isEmpty { line += ", faults: " + faults.joined(separator: ",") }
                print(line)
            }
            if obj["rfidReaderFault"] == .bool(true) { print("RFID reader: fault") }
            if let inputs = obj["inputs"]?.objectValue {
                print("inputs: " + inputs.keys.sorted().map { "\($0)=\(inputs[$0] == .bool(true) ? "on" : "off")" }.joined(separator: " "))
            }
        }
    }

    struct Plug: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Plug a simulated vehicle into a connector.")
        @OptionGroup var common: Common
        @Argument(help: "Connector number.") var connector: Int
        @Option(help: "EV profile <phases>p-<amps>a, e.g. 3p-16a.") var ev = "3p-16a"
        @Option(help: "Phases the on-board charger uses (1-3), overrides the profile.") var phases: Int?
        @Option(name: .customLong("max-current"), help: "Maximum current of the on-board charger in A.") var maxCurrent: Double?
        @Option(name: .customLong("capacity-wh"), help: "Battery capacity in Wh.") var capacityWh: Double?
        @Option(help: "State of charge at plug-in in %.") var soc: Double?
        @Option(name: .customLong("target-soc"), help: "State of charge at which the vehicle stops in %.") var targetSoc: Double?
        @Option(name: .customLong("reaction-delay"), help: "Seconds the vehicle takes to follow a new signaled current.") var reactionDelay: Double?
        @Flag(help: "The vehicle requests ventilation (state D).") var ventilation = false
        @Option(help: "ISO 15118 EVCCID (MAC address) the vehicle reports.") var evccid: String?
        @Option(help: "external: the vehicle's ISO 15118 side is a real EVCC on the connector's PLC interface (plcInterface); it charges after PowerDelivery Start.")
        var hlc: String?
        @Option(help: "Plug & Charge: a PEM file with the vehicle's contract certificate chain (leaf first, CN = eMAID); the station asks the backend to authorize it.")
        var contract: String?
        @Option(name: .customLong("certificate-installation-req"),
                help: "Plug & Charge: the vehicle's CertificateInstallationReq (EXI, base64); the station relays it to the backend (Get15118EVCertificate).")
        var certificateInstallationReq: String?

        func run() throws {
            var body: [String: Any] = ["connector": connector, "ev": ev]
            if let phases { body["phases"] = phases }
            if let maxCurrent { body["maxCurrentAmps"] = maxCurrent }
            if let capacityWh { body["batteryCapacityWh"] = capacityWh }
            if let soc { body["stateOfChargePercent"] = soc }
            if let targetSoc { body["targetStateOfChargePercent"] = targetSoc }
            if let reactionDelay { body["reactionDelaySeconds"] = reactionDelay }
            if ventilation { body["ventilation"] = true }
            if let evccid { body["evccid"] = evccid }
            if let hlc { body["hlc"] = hlc }
            if let contract {
                guard let pem = try? String(contentsOfFile: contract, encoding: .utf8) else {
                    throw ValidationError("--contract: cannot read \(contract)")
                }
                body["contractCertificateChain"] = pem
            }
            if let certificateInstallationReq { body["certificateInstallationRequest"] = certificateInstallationReq }
            try common.send("POST", "/api/sim/plug", body)
        }
    }

    struct Unplug: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unplug the vehicle from a connector.")
        @OptionGroup var common: Common
        @Argument(help: "Connector number.") var connector: Int
        @Flag(help: "Pull the cable even though the socket is locked (from the vehicle side).") var force = false
        func run() throws { try common.send("POST", "/api/sim/unplug", ["connector": connector, "force": force]) }
    }

    struct RFID: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rfid", abstract: "Hold an RFID card to the reader.")
        @OptionGroup var common: Common
        @Argument(help: "Card UID in hexadecimal (4, 7 or 10 bytes), e.g. 04567DAA5F3580.") var uid: String
        @Flag(help: "The card is read with secure messaging (for 'Enforce using Secure RFID').") var secure = false
        func run() throws { try common.send("POST", "/api/sim/rfid", ["uid": uid, "secure": secure]) }
    }

    struct Fault: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inject or clear a fault: 'fault 1 rcd', 'fault rfid', 'fault 1 rcd --clear'.")
        @OptionGroup var common: Common
        @Argument(help: "[connector] fault — faults: rcd, welded, lock, lock-stuck, meter, diode, ev-error, mcb, rcd-trip (auxiliary contacts), undervoltage, overvoltage, overcurrent, link (board USB link lost), meter-signature (the meter cannot sign); rfid, power (station: mains lost).")
        var words: [String]
        @Flag(help: "Clear the fault instead of injecting it.") var clear = false

        func validate() throws {
            guard (1...2).contains(words.count), words.count == 1 || Int(words[0]) != nil else {
                throw ValidationError("give a fault, optionally after a connector number: 'fault 1 rcd' or 'fault rfid'")
            }
        }

        func run() throws {
            var body: [String: Any] = ["fault": words.last ?? "", "active": !clear]
            if words.count == 2, let n = Int(words[0]) { body["connector"] = n }
            try common.send("POST", "/api/sim/fault", body)
        }
    }

    struct Input: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a digital input: 'input opto1 on'.")
        @OptionGroup var common: Common
        @Argument(help: "Input: opto1, input2 or surgeProtector (the SPD's auxiliary contact).") var input: String
        @Argument(help: "on or off.") var level: String
        func validate() throws {
            guard ["on", "off"].contains(level.lowercased()) else { throw ValidationError("level must be on or off (got \(level))") }
        }
        func run() throws { try common.send("POST", "/api/sim/input", ["input": input, "on": level.lowercased() == "on"]) }
    }

    struct Target: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the state of charge (%) at which a vehicle stops charging.")
        @OptionGroup var common: Common
        @Argument(help: "Connector number.") var connector: Int
        @Argument(help: "Target state of charge in %.") var soc: Double
        func run() throws { try common.send("POST", "/api/sim/target", ["connector": connector, "stateOfChargePercent": soc]) }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the simulated vehicles, faults and inputs.")
        @OptionGroup var common: Common
        func run() throws { try common.send("GET", "/api/sim") }
    }

    struct Meter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a simulated Modbus TCP meter with a model's real register layout.",
            discussion: "Models: " + MeterModel.allCases.filter { $0 != .generic && $0 != .ipdControl }.map(\.rawValue).joined(separator: ", ")
                + ". Values: the building load plus the current the given stations draw; energy is integrated.")
        @Option(help: "Meter model, e.g. siemens7KM2200, janitzaUMG512PRO, tqEM300LR.") var model: String
        @Option(help: "TCP port.") var port = 5020
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(name: .customLong("unit-id"), help: "Unit id (default: the model's).") var unitID: Int?
        @Option(name: .customLong("building-load"), help: "Building load per phase in A, e.g. 20,10,5.") var buildingLoad = "10,10,10"
        @Option(help: "constant, or daily (follows a day curve).") var profile = "constant"
        @Option(help: "Phase voltage in V.") var voltage: Double = 230
        @Option(name: .customLong("station"),
                help: "Data directory (or base URL, with $CHARGEKIT_API_TOKEN) of a running station whose currents add to the load (repeatable).")
        var stations: [String] = []

        func validate() throws {
            guard let m = MeterModel(rawValue: model), m != .generic, m != .ipdControl else {
                throw ValidationError("--model must be one of " + MeterModel.allCases.filter { $0 != .generic && $0 != .ipdControl }.map(\.rawValue).joined(separator: ", "))
            }
            guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535") }
            if let unitID, !(0...255).contains(unitID) { throw ValidationError("--unit-id must be 0 to 255") }
            guard ["constant", "daily"].contains(profile) else { throw ValidationError("--profile must be constant or daily") }
            let parts = buildingLoad.split(separator: ",").compactMap { Double($0) }
            guard parts.count == 3, parts.allSatisfy({ (0...1000).contains($0) }) else {
                throw ValidationError("--building-load must be three currents in A, e.g. 20,10,5")
            }
        }

        func run() async throws {
            let parts = buildingLoad.split(separator: ",").compactMap { Double($0) }
            let options = MeterTwinOptions(model: MeterModel(rawValue: model) ?? .siemens7KM2200, host: host, port: port, unitID: unitID,
                                           buildingLoadAmps: PhaseValues(l1: parts[0], l2: parts[1], l3: parts[2]), profile: profile,
                                           voltageV: voltage, stations: stations)
            do { try await MeterTwin.run(options) } catch { throw fail("\(error)") }
        }
    }
}
