import FoundationEssentials
import ChargePoint
import HostConfig

/// The Network page's "Mobile" status card (seeds/002 §1.4 Mobile: the modem's manufacturer and model, the SIM data and
/// the signal level; seeds/004 §1.3 "Connection State (Modem)"): what ModemManager reports, beside the Mobile
/// parameters below it. Nothing here is set: the parameters are.
extension WebInterface {
    struct MobileCard {
        struct Fact {
            var label: String
            var value: String
            var id: String
        }

        /// The state in one line ("Connected", "ModemManager is not running", "No modem found").
        var headline: String
        var facts: [Fact]
        var hasFacts: Bool
        /// What the user must do (wrong PIN, APN missing …), from the planner.
        var problem: String?
        var weakSignal: Bool
    }

    func mobileCard(t: [String: String]) async -> MobileCard {
        let m = await station.mobileStatus()
        guard m.managerAvailable else {
            return MobileCard(headline: m.managerProblem ?? (t["net.mobileNoManager"] ?? ""), facts: [], hasFacts: false, problem: nil, weakSignal: false)
        }
        guard let modem = m.modem else {
            return MobileCard(headline: t["net.mobileNoModem"] ?? "", facts: [], hasFacts: false, problem: m.problem, weakSignal: false)
        }
        let none = "–"
        func text(_ s: String) -> String { s.isEmpty ? none : s }
        let signal = modem.signalPercent.map { "\($0) %" + (modem.signalRecent ? "" : " (\(t["net.mobileOld"] ?? ""))") } ?? none
        let facts: [MobileCard.Fact] = [
            .init(label: t["net.mobileDevice"] ?? "", value: text([modem.manufacturer, modem.model].filter { !$0.isEmpty }.joined(separator: " ")), id: "m-device"),
            .init(label: t["net.mobileState"] ?? "", value: modem.state.name, id: "m-state"),
            .init(label: t["net.mobileOperator"] ?? "", value: text([modem.operatorName, modem.operatorCode.isEmpty ? "" : "(\(modem.operatorCode))"]
                .filter { !$0.isEmpty }.joined(separator: " ")), id: "m-operator"),
            .init(label: t["net.mobileRegistration"] ?? "", value: modem.registration?.name ?? none, id: "m-registration"),
            .init(label: t["net.mobileTechnology"] ?? "", value: text(modem.accessTechnologyText), id: "m-technology"),
            .init(label: t["net.mobileSignal"] ?? "", value: signal, id: "m-signal"),
            .init(label: "IMEI", value: text(modem.imei), id: "m-imei"),
            .init(label: "ICCID", value: text(modem.iccid), id: "m-iccid"),
            .init(label: "IMSI", value: text(modem.imsi), id: "m-imsi"),
        ]
        let connection = m.connectionType == .gsm ? (t["net.mobileInUse"] ?? "") : (t["net.mobileNotInUse"] ?? "")
        return MobileCard(headline: "\(modem.state.name.prefix(1).uppercased() + modem.state.name.dropFirst()) · \(connection)",
                          facts: facts, hasFacts: true, problem: m.problem, weakSignal: m.weakSignal)
    }
}
