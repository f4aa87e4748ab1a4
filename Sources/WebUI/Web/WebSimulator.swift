import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import EVSECore

/// The simulator panel (only when the station runs with `--simulate`): plug and unplug the simulator's vehicles, hold
/// a card to the reader, switch the digital inputs and inject faults — what `chargekit sim` does, from the browser.
/// The simulator panel: each connector with its vehicle, the card reader, the digital inputs and the faults.
struct SimulatorPage: PageModel {
    var template: WebTemplate { .simulator }

    struct Connector {
        /// A fault or station fault by name.
        struct Fault {
            var name: String
        }

        struct Profile {
            var name: String
            var selected: Bool
        }

        var id: Int
        var status: String
        var current: String
        var faults: [Fault]
        var hasFaults: Bool
        var profiles: [Profile]
        /// The plugged-in vehicle, described; nil when none is.
        var vehicle: String?
    }

    struct Input {
        var name: String
        var label: String
        var on: Bool
        /// The value the Switch button sends.
        var next: String
    }

    /// A fault that can be injected.
    struct FaultChoice {
        var name: String
        var label: String
    }

    struct ConnectorChoice {
        var id: Int
    }

    var csrf: String
    var uid: String
    var connectors: [Connector]
    var inputs: [Input]
    var faults: [FaultChoice]
    var connectorChoices: [ConnectorChoice]
    var stationFaults: [Connector.Fault]
    var hasTimeScale: Bool
    var timeScale: String
    var notice: String?
    var error: String?
}

extension WebInterface {
    /// The vehicle profiles offered (`<phases>p-<amps>a`, the names `chargekit sim plug --ev` takes).
    static let vehicleProfiles = ["1p-16a", "1p-32a", "2p-16a", "3p-16a", "3p-32a"]

    func addSimulatorRoutes(to router: Router<WebRequestContext>, _ simulator: any SimulatorControl) {
        router.get("simulator") { request, _ in
            try await withSession(request) { session, _ in try await simulatorPage(session, simulator, WebHTTP.queryDictionary(request)) }
        }
        let actions: [(String, @Sendable ([String: String]) throws(SimulatorCommandError) -> SimulatorCommand)] = [
            ("plug", { f throws(SimulatorCommandError) in
                let n = try Self.connector(f)
                let profile = f["ev"] ?? ""
                guard Self.vehicleProfiles.contains(profile) else {
                    throw SimulatorCommandError(.invalid, "vehicle must be one of " + Self.vehicleProfiles.joined(separator: ", "))
                }
                return .plug(PlugRequest(connector: n, ev: profile))
            }),
            ("unplug", { f throws(SimulatorCommandError) in .unplug(connector: try Self.connector(f), force: f["force"] == "1") }),
            ("rfid", { f throws(SimulatorCommandError) in
                let uid = (f["uid"] ?? "").trimmingSpaces
                guard !uid.isEmpty else { throw SimulatorCommandError(.invalid, "card identifier: enter the card's UID (hex, e.g. 04567DAA5F3580)") }
                return .rfid(uid: uid, secure: false)
            }),
            ("input", { f throws(SimulatorCommandError) in .input(name: f["name"] ?? "", on: f["on"] == "1") }),
            ("fault", { f throws(SimulatorCommandError) in
                .fault(fault: f["fault"] ?? "", connector: Int(f["connector"] ?? ""), active: f["active"] == "1")
            }),
        ]
        for (path, command) in actions {
            router.post(RouterPath(stringLiteral: "simulator/\(path)")) { request, _ in
                try await withSession(request, form: true) { session, form in
                    do throws(SimulatorCommandError) {
                        try await simulator.perform(try command(form))
                        return WebHTTP.redirect("/simulator?done=\(path)")
                    } catch {
                        return try await simulatorPage(session, simulator, ["error": error.message, "uid": form["uid"] ?? ""],
                                                       status: error.kind == .notFound ? .notFound : error.kind == .conflict ? .conflict : .badRequest)
                    }
                }
            }
        }
    }

    static func connector(_ f: [String: String]) throws(SimulatorCommandError) -> Int {
        guard let n = Int(f["connector"] ?? "") else { throw SimulatorCommandError(.invalid, "connector: choose a connector") }
        return n
    }

    func simulatorPage(_ session: WebAccounts.Session, _ simulator: any SimulatorControl, _ q: [String: String],
                       status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        let sim = await simulator.simulatorStatus()
        let station = await self.station.status()
        let connectorIds = sim.connectors.map(\.id)
        let model = SimulatorPage(
            csrf: session.csrf, uid: q["uid"] ?? "",
            connectors: sim.connectors.map { c in
                let snapshot = station.connectors.first { $0.id == c.id }
                return .init(
                    id: c.id, status: snapshot?.status.rawValue ?? "", current: Self.phases(c.currentA) + " A",
                    faults: c.faults.map { .init(name: $0) }, hasFaults: !c.faults.isEmpty,
                    profiles: Self.vehicleProfiles.map { .init(name: $0, selected: $0 == "3p-16a") },
                    vehicle: c.vehicle.map { v in
                        (t["sim.vehicleText"] ?? "").replacing("%p", with: String(v.phases))
                            .replacing("%a", with: Self.amps(v.maxCurrentAmps))
                            .replacing("%s", with: WebFormat.fixed(v.stateOfChargePercent, 1))
                            .replacing("%c", with: v.pilot.rawValue)
                    })
            },
            inputs: sim.inputs.keys.sorted().map { name in
                .init(name: name, label: t["sim.input.\(name)"] ?? name, on: sim.inputs[name] ?? false, next: (sim.inputs[name] ?? false) ? "0" : "1")
            },
            faults: sim.availableFaults.map { name in
                .init(name: name, label: (t["sim.fault.\(name)"] ?? name) + (sim.stationFaults.contains(name) ? " · " + (t["sim.stationWide"] ?? "") : ""))
            },
            connectorChoices: connectorIds.map { .init(id: $0) },
            stationFaults: [sim.rfidReaderFault ? "rfid" : nil, sim.powerLost ? "power" : nil].compactMap { $0 }.map { .init(name: $0) },
            hasTimeScale: sim.timeScale != 1, timeScale: "×" + Self.amps(sim.timeScale),
            notice: q["done"].map { t["sim.done.\($0)"] ?? $0 }, error: q["error"])
        return try await page(model, title: t["nav.simulator"] ?? "", session: session, language: language, activePage: "simulator", status: status)
    }
}
