#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Parameters
import Testing

/// A station of one or two connectors and helpers to talk to its EEBUS application as the SPINE engine would.
enum ChargerFixture {
    /// 2027-01-15T08:00:00Z.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let guardSKI = "aa11bb22cc33dd44ee55ff6677889900aabbccdd"
    static let hemsSKI = "1111222233334444555566667777888899990000"

    static let station = EEBUSStationInfo(brand: "ChargeKit", model: "CK-22", serialNumber: "CK-0001", softwareVersion: "1.4.0",
                                          vendor: "ChargeKit GmbH", nominalMaximumPowerW: 22_080)

    static func connector(_ n: Int = 1, plugged: Bool = true, phases: [EEBUSPhase] = [.a, .b, .c]) -> EEBUSConnectorStatus {
        EEBUSConnectorStatus(connector: n, pluggedIn: plugged, charging: plugged, phases: phases, minimumCurrentA: 6, maximumCurrentA: 16,
                             currentA: PhaseValues(l1: 15.5, l2: 15.25, l3: 15), powerW: PhaseValues(l1: 3565, l2: 3507.5, l3: 3450),
                             totalPowerW: 10_522.5, sessionEnergyWh: 4321)
    }

    static func application(_ connectors: [EEBUSConnectorStatus] = [connector()],
                            settings: EEBUSSettings = EEBUSSettings()) -> ChargerEEBUSApplication {
        ChargerEEBUSApplication(deviceAddress: "d:_n:ChargeKit_CK-0001", station: station, settings: settings,
                                connectors: connectors, now: t0)
    }

    static func json(_ text: String) -> JSONValue {
        do { return try JSONParser.parse(text) } catch {
            Issue.record("bad test JSON: \(error)")
            return .null
        }
    }

    static func remote(_ ski: String) -> SPINERemoteFeature {
        SPINERemoteFeature(ski: ski, address: SPINEFeatureAddress(device: "d:_i:remote", entity: [1], feature: 1))
    }

    static func write(_ app: inout ChargerEEBUSApplication, _ function: SPINEFunction, entity: [Int], feature: Int,
                      _ data: String, filters: [String] = [], from ski: String = guardSKI, at now: Date) -> SPINEWriteOutcome {
        let request = SPINEWriteRequest(function: function, data: json(data), filters: filters.map(json),
                                        feature: SPINEFeatureAddress(entity: entity, feature: feature), from: remote(ski))
        return app.write(request, now: now)
    }

    static func writeLPC(_ app: inout ChargerEEBUSApplication, _ item: String, filters: [String] = [], at now: Date) -> SPINEWriteOutcome {
        write(&app, "loadControlLimitListData", entity: [1], feature: ChargerEEBUSModel.Feature.lpcLoadControl,
              #"{"loadControlLimitData":[\#(item)]}"#, filters: filters, at: now)
    }

    static func writeFailsafe(_ app: inout ChargerEEBUSApplication, _ items: String, filters: [String] = [], at now: Date) -> SPINEWriteOutcome {
        write(&app, "deviceConfigurationKeyValueListData", entity: [1], feature: ChargerEEBUSModel.Feature.lpcDeviceConfiguration,
              #"{"deviceConfigurationKeyValueData":[\#(items)]}"#, filters: filters, at: now)
    }

    static func writeEV(_ app: inout ChargerEEBUSApplication, _ items: String, connector: Int = 1, filters: [String] = [],
                        at now: Date) -> SPINEWriteOutcome {
        write(&app, "loadControlLimitListData", entity: [connector, 1], feature: ChargerEEBUSModel.Feature.evLoadControl,
              #"{"loadControlLimitData":[\#(items)]}"#, filters: filters, from: hemsSKI, at: now)
    }

    static func heartbeat(_ app: inout ChargerEEBUSApplication, counter: Int, from ski: String = guardSKI, at now: Date) {
        app.received(SPINEReceivedData(classifier: .notify, function: "deviceDiagnosisHeartbeatData",
                                       data: json(#"{"heartbeatCounter":\#(counter),"heartbeatTimeout":"PT4S"}"#), filters: [],
                                       localFeature: SPINEFeatureAddress(entity: [1], feature: ChargerEEBUSModel.Feature.lpcHeartbeatClient),
                                       from: remote(ski)), now: now)
    }

    static let partial = #"{"cmdControl":{"partial":{}}}"#

    static func refused(_ description: String) -> SPINEWriteOutcome { .refused(errorNumber: 7, description: description) }
}
