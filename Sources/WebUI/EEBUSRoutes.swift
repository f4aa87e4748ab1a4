import FoundationEssentials
import Hummingbird
import ChargePoint
import EEBUS
import Parameters

/// The EEBUS interface's API (issue 26 item 4): `GET /api/eebus` (identity, discovered managers, pairing, connections,
/// the manager's limits), `POST /api/eebus/pair` with `{"ski": "…"}` and `POST /api/eebus/unpair` — seeds/000
/// "Energiemanager koppeln oder trennen". Pairing sets the parameter EEBUSPairedSKI (audited like any change), so the
/// trust survives a restart; the runtime follows the parameter at once.
extension StationAPI {
    struct PairBody: Decodable, Sendable { var ski: String }

    static func addEEBUSRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/eebus") { _, _ in json(await station.eebusStatus()) }
        router.post("api/eebus/pair") { request, _ in
            let body: PairBody
            do { body = try await decode(PairBody.self, request) } catch let e as BodyError { return e.response }
            let ski: String
            do { ski = try SHIPSKI(userInput: body.ski).hex } catch {
                return json(ErrorBody(error: "ski: \(error)", field: "ski", given: body.ski, allowed: "40 hexadecimal digits"), status: .badRequest)
            }
            if let refusal = await eebusOff(station) { return refusal }
            return try await attempt {
                _ = try await station.setParameter(StationParameters.eebusPairedSKI, .string(ski), role: apiRole, changedBy: "api:\(apiRole.rawValue)")
                return json(await station.eebusStatus())
            }
        }
        router.post("api/eebus/unpair") { request, _ in
            do { try await expectNoBody(request) } catch let e as BodyError { return e.response }
            return try await attempt {
                _ = try await station.setParameter(StationParameters.eebusPairedSKI, .string(""), role: apiRole, changedBy: "api:\(apiRole.rawValue)")
                return json(await station.eebusStatus())
            }
        }
    }

    /// The answer while the interface is off: pairing needs the SHIP service running.
    static func eebusOff(_ station: any StationService) async -> Response? {
        guard await !station.eebusStatus().enabled else { return nil }
        return error(.conflict, "the EEBus interface is off: set EEBUSInterface to true and restart the station, then pair", field: "EEBUSInterface")
    }
}
