import FoundationEssentials
import Hummingbird
import ChargePoint
import HostConfig

/// `GET /api/network/modem`: the Network page's Mobile status as JSON (issue 24 item 3) — ModemManager's availability,
/// the modem with its SIM, the problem the user must act on, WeakSignal. Read-only: the Mobile parameters are set
/// through `/api/config` like every other.
extension StationAPI {
    struct ModemJSON: Encodable {
        struct Modem: Encodable {
            var path, manufacturer, model, imei, state, lock: String
            var pinRetries: Int?
            var signalPercent: Int?
            var signalRecent: Bool
            var accessTechnology: String
            var registration: String?
            var operatorName, operatorCode, iccid, imsi: String
        }
        var managerAvailable: Bool
        var managerProblem: String?
        var connectionType: String
        var problem: String?
        var weakSignal: Bool
        var modem: Modem?
    }

    static func modemJSON(_ m: MobileStatusView) -> ModemJSON {
        ModemJSON(managerAvailable: m.managerAvailable, managerProblem: m.managerProblem, connectionType: m.connectionType.rawValue,
                  problem: m.problem, weakSignal: m.weakSignal, modem: m.modem.map { s in
                      ModemJSON.Modem(path: s.path, manufacturer: s.manufacturer, model: s.model, imei: s.imei, state: s.state.name,
                                      lock: "\(s.lock)", pinRetries: s.pinRetries, signalPercent: s.signalPercent, signalRecent: s.signalRecent,
                                      accessTechnology: s.accessTechnologyText, registration: s.registration?.name, operatorName: s.operatorName,
                                      operatorCode: s.operatorCode, iccid: s.iccid, imsi: s.imsi)
                  })
    }

    static func addModemRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/network/modem") { _, _ in json(modemJSON(await station.mobileStatus())) }
    }
}
