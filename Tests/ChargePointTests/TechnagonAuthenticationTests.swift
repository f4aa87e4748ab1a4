import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import OCPP16
import TestSupport

/// The Technagon authentication settings and configuration keys (seeds/002 §1.7, §2.3; issue 29 item 7).
@Suite("Technagon authentication modes and keys (seeds/002 §1.7, §2.3)")
struct TechnagonAuthenticationTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func mode(_ p: ParameterService) -> String { p.values.value(StationParameters.authenticationMode)?.description ?? "" }

    @Test("seeds002_1_7 AuthenticationMode is a preset: choosing a mode sets its parameters; the field shows what they amount to, or Custom")
    func seeds002_1_7_authenticationModePreset() throws {
        var p = try ParameterService(store: InMemoryParameterStore())
        #expect(mode(p) == "WhitelistedRFID", "the factory settings are the Technagon factory mode")
        try p.set(StationParameters.authenticationMode, text: "NoRFID", role: .operator, changedBy: "test", now: t0)
        #expect(p.values[.dummyRfidEnabled] && !p.values[.freeCharging])
        #expect(mode(p) == "NoRFID")
        try p.set(StationParameters.authenticationMode, text: "AnyUnknownOrWhitelistedRFID", role: .operator, changedBy: "test", now: t0)
        #expect(!p.values[.dummyRfidEnabled] && p.values[.allowOfflineTxForUnknownId])
        #expect(mode(p) == "AnyUnknownOrWhitelistedRFID")
        // An underlying parameter changed by hand changes what the preset shows.
        try p.set(StationParameters.allowOfflineTxForUnknownId, text: "Off", role: .operator, changedBy: "test", now: t0)
        #expect(mode(p) == "WhitelistedRFID")
        try p.set(StationParameters.ifInDoubtAllowCharging, text: "on", role: .operator, changedBy: "test", now: t0)
        #expect(mode(p) == "Custom")
        try p.set(StationParameters.freeCharging, text: "On", role: .operator, changedBy: "test", now: t0)
        try p.set(StationParameters.authenticationMode, text: "WhitelistedRFID", role: .operator, changedBy: "test", now: t0)
        #expect(!p.values[.freeCharging] && p.values[.ifInDoubtAllowCharging] == .off && mode(p) == "WhitelistedRFID")
        // The web form sends the preset with the parameters on its page: the preset goes first, a field changed with it wins.
        try p.set(texts: [(StationParameters.allowOfflineTxForUnknownId, "Off"), (StationParameters.authenticationMode, "AnyUnknownOrWhitelistedRFID")],
                  role: .operator, changedBy: "web", now: t0)
        #expect(!p.values[.allowOfflineTxForUnknownId] && mode(p) == "WhitelistedRFID")
        #expect(p.list().first { $0.key == StationParameters.authenticationMode }?.value == .string("WhitelistedRFID"))
    }

    @Test("seeds002_1_7 the modes decide like the seed: offline any card (any unknown RFID), offline only listed cards (a whitelisted RFID)")
    func seeds002_1_7_modesDecide() throws {
        var p = try ParameterService(store: InMemoryParameterStore())
        let card = PresentedIdentifier(idTag: "12345678")
        for (mode, offlineAccepts) in [("AnyUnknownOrWhitelistedRFID", true), ("WhitelistedRFID", false)] {
            try p.set(StationParameters.authenticationMode, text: mode, role: .operator, changedBy: "test", now: t0)
            let engine = AuthorizationEngine(settings: StationSettings(p.values).authorization, lists: AuthorizationLists())
            #expect(engine.decide(card, connector: 1, online: true, now: t0) == .askBackend, "\(mode) online: the backend decides")
            if case .accept = engine.decide(card, connector: 1, online: false, now: t0) { #expect(offlineAccepts, "\(mode)") } else {
                #expect(!offlineAccepts, "\(mode)")
            }
        }
        try p.set(StationParameters.authenticationMode, text: "NoRFID", role: .operator, changedBy: "test", now: t0)
        try p.set(StationParameters.dummyRfidTag, text: "PNC-1", role: .operator, changedBy: "test", now: t0)
        let a = StationSettings(p.values).authorization
        #expect(a.dummyEnabled && a.dummyIdTag == "PNC-1" && !a.dummyAllowStop && !a.freeCharging)
    }

    @Test("seeds002_2_3 keys: StopTxOnReset (and /ocpp/stopTransactionsOnReset), the Dummy keys, CurrentDateTime read-only, ChargingProfileStackPerConnector")
    func seeds002_2_3_configurationKeys() {
        let values = ParameterSet(registry: ParameterRegistry(connectorCount: 2))
        let context = OCPPConfigurationKeys.Context(supportedProfiles: OCPPChargePoint.supportedProfiles, now: t0)
        let byKey = Dictionary(OCPPConfigurationKeys.all(values, context).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["StopTxOnReset"]?.value == "true" && byKey["StopTxOnReset"]?.readonly == false)
        #expect(byKey["/ocpp/stopTransactionsOnReset"]?.value == "true")
        #expect(byKey["/hw/auth/device/Dummy/enabled"]?.value == "false" && byKey["/hw/auth/device/Dummy/enabled"]?.readonly == false)
        #expect(byKey["/hw/auth/device/Dummy/id/value"]?.value == "DUMMY")
        #expect(byKey["/hw/auth/device/Dummy/allowStop"]?.value == "false")
        #expect(byKey["DummyRfidEnabled"] == nil, "reached under the seed's name only")
        #expect(byKey["CurrentDateTime"]?.value == OCPPDate.format(t0) && byKey["CurrentDateTime"]?.readonly == true)
        #expect(byKey["ChargingProfileStackPerConnector"]?.value == "true" && byKey["ChargingProfileStackPerConnector"]?.readonly == true)
        #expect(OCPPConfigurationKeys.change(key: "/ocpp/stopTransactionsOnReset", value: "false", values, context)
                == .apply([StationParameters.stopTxOnReset: .bool(false)], rebootRequired: false))
        #expect(OCPPConfigurationKeys.change(key: "StopTxOnReset", value: "false", values, context)
                == .apply([StationParameters.stopTxOnReset: .bool(false)], rebootRequired: false))
        #expect(OCPPConfigurationKeys.change(key: "/hw/auth/device/Dummy/enabled", value: "true", values, context)
                == .apply([StationParameters.dummyRfidEnabled: .bool(true)], rebootRequired: false))
        #expect(OCPPConfigurationKeys.change(key: "/hw/auth/device/Dummy/id/value", value: "PNC-1", values, context)
                == .apply([StationParameters.dummyRfidTag: .string("PNC-1")], rebootRequired: false))
        if case .rejected = OCPPConfigurationKeys.change(key: "CurrentDateTime", value: "2030-01-01T00:00:00Z", values, context) {} else {
            Issue.record("CurrentDateTime is read-only")
        }
    }
}
