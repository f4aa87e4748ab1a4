import Foundation
import Testing
import Authorization
import EVSECore
import OCPP16
import TestSupport
@testable import ChargePoint

@Suite("Backend settings (seeds/004 §4, seeds/002 §1.5)")
struct BackendSettingsTests {
    @Test("Chargebox ID template: {serial} and {serial:N}; empty means the ChargeBoxIdentity parameter")
    func template() {
        #expect(StationSettings.identity(template: "TE-{serial}", serial: "100002440") == "TE-100002440")
        #expect(StationSettings.identity(template: "CK{serial:4}x", serial: "100002440") == "CK2440x")
        #expect(StationSettings.identity(template: "{other}-{serial", serial: "1") == "{other}-{serial")
        #expect(StationSettings.identity(template: "", serial: "1") == nil)
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        p.set(StationParameters.chargeBoxIdentity, .string("MANUAL-1"))
        #expect(StationSettings(p).chargeBoxIdentity == "MANUAL-1")
        p.set(StationParameters.chargeBoxIdentityTemplate, .string("TE-{serial}"))
        #expect(StationSettings(p).chargeBoxIdentity == "TE-CK-000001")
    }

    @Test("a backend provider preset fills its settings in one validated change, with an audit entry each")
    func preset() throws {
        let store = InMemoryParameterStore()
        var service = try ParameterService(store: store)
        try service.set(StationParameters.operatorPreset, .string("TotalEnergies"), role: .operator, changedBy: "test", now: Date())
        #expect(service.values.string(StationParameters.backendURL) == "ws://evse.total-ev-charge.com:9999/ocpp/WebSocket")
        #expect(service.values.string(StationParameters.rfidTagLetterCase) == RFIDLetterCase.upper.rawValue)
        #expect(try store.loadParameters()[StationParameters.backendURL] == .string("ws://evse.total-ev-charge.com:9999/ocpp/WebSocket"))
        try service.set(StationParameters.operatorPreset, .string("E-Flux"), role: .operator, changedBy: "test", now: Date())
        #expect(service.values.string(StationParameters.backendURL) == "wss://ocpp.e-flux.nl/1.6/powerstation")
        try service.set(StationParameters.operatorPreset, .string("Custom"), role: .operator, changedBy: "test", now: Date())
        #expect(service.values.string(StationParameters.backendURL) == "wss://ocpp.e-flux.nl/1.6/powerstation", "Custom changes nothing")
    }

    func view(_ status: ConnectorStatus, session: Bool, connected: Bool) -> ConnectorBackendView {
        let meter = MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: true)
        let s = session ? ChargingSession(id: UUID(), connector: 1, idTag: "a", method: .rfid, startedAt: Date(), meterStartWh: 0) : nil
        return ConnectorBackendView(connector: 1, status: status, vehicleConnected: connected, authorized: session, session: s, meter: meter,
                                    offeredAmps: 16, phaseCount: 3, voltageV: 230, stateOfChargePercent: nil, errors: [])
    }

    @Test("Preparing until state C: On reports Preparing until the vehicle requests energy, Off reports Charging at once")
    func preparingUntilStateC() {
        let waiting = view(.preparing, session: true, connected: true)
        #expect(OCPPMapping.status(waiting, strategy: .occupiedOnCharging, preparingUntilStateC: true) == .preparing)
        #expect(OCPPMapping.status(waiting, strategy: .occupiedOnCharging, preparingUntilStateC: false) == .charging)
        let noSession = view(.preparing, session: false, connected: true)
        #expect(OCPPMapping.status(noSession, strategy: .occupiedOnAuthorizedOrPlugged, preparingUntilStateC: false) == .preparing)
    }

    @Test("Allow long get configuration keys: Off keeps the OCPP 1.6 limits, On sends values in full")
    func longKeys() {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        let full = "wss://backend.example.com/" + String(repeating: "x", count: 480) + "/ocpp"
        p.set(StationParameters.backendURL, .string(full))
        let short = OCPPConfigurationKeys.all(p, .init(supportedProfiles: [.core]))
        let long = OCPPConfigurationKeys.all(p, .init(supportedProfiles: [.core], allowLongKeys: true))
        #expect(short.first { $0.key == StationParameters.backendURL }?.value == String(full.prefix(500)))
        #expect(long.first { $0.key == StationParameters.backendURL }?.value == full)
        #expect(short.allSatisfy { $0.key.count <= 50 && ($0.value?.count ?? 0) <= 500 })
    }

    @Test("USB link errors reach the backend only with Send USB error StatusNotifications; other errors still do")
    func usbErrorSwitch() {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        let now = Date()
        let link = ActiveError(id: "connectorBoardNotCommunicating", connector: 1, since: now)
        let meter = ActiveError(id: "meterNotCommunicating", connector: 1, since: now)
        var off = OCPPMapping.statusNotification(connector: 1, status: .faulted, errors: [link], settings: BackendSettings(p), now: now)
        #expect(off.errorCode == "NoError" && off.info == nil, "default Off (seeds/004 §4)")
        off = OCPPMapping.statusNotification(connector: 1, status: .faulted, errors: [link, meter], settings: BackendSettings(p), now: now)
        #expect(off.errorCode == "PowerMeterFailure", "the next reportable error is sent instead")
        p.set(StationParameters.sendUSBErrorStatusNotifications, .bool(true))
        let on = OCPPMapping.statusNotification(connector: 1, status: .faulted, errors: [link], settings: BackendSettings(p), now: now)
        #expect(on.errorCode == "InternalError")
        #expect(on.info == "Connector board not communicating (USB link lost)")
    }
}
