import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import LoadManagement

/// Issue 21 item 3: a choice parameter the settings read as an enum offers exactly the enum's cases, and its default is
/// one of them — so ``ParameterSet/choice(_:_:)`` never falls back, and no choice is spelled twice.
@Suite("Enum-backed choices")
struct ParameterChoiceTests {
    static func mismatch<C: ParameterChoice>(_ key: String, _ type: C.Type) throws -> String? {
        let r = try ParameterRegistry(connectorCount: 2).resolve(key)
        guard case .choice(let choices) = r.definition.type else { return "\(key) is not a choice" }
        let offered = Set(choices.map(\.value)), cases = Set(C.allCases.map(\.rawValue))
        guard offered == cases else { return "\(key): the registry offers \(offered.sorted()), \(C.self) has \(cases.sorted())" }
        guard case .string(let d) = r.definition.defaultValue, C(rawValue: d) != nil else { return "\(key): the default is not a case" }
        return nil
    }

    @Test("every enum-backed choice parameter: the registry's values are the enum's cases, the default is one")
    func registryMatchesEnums() throws {
        typealias K = StationParameters
        let mismatches = try [
            Self.mismatch(K.ocppMode, OCPPMode.self), Self.mismatch(K.authorizationKeyEncoding, PasswordEncoding.self),
            Self.mismatch(K.timeSource, TimeSource.self), Self.mismatch(K.statusNotificationStrategy, StatusNotificationStrategy.self),
            Self.mismatch(K.genericMeterFunction, GenericMeterFunction.self), Self.mismatch(K.genericMeterWordOrder, GenericMeterWordOrder.self),
            Self.mismatch(K.externalInputEnergyManagement, ExternalInputFunction.self), Self.mismatch(K.externalInputPolarity, InputPolarity.self),
            Self.mismatch(K.dlmExternalInput, ExternalInputFunction.self), Self.mismatch(K.dlmExternalInputPolarity, InputPolarity.self),
            Self.mismatch("\(K.connectorKind).1", ConnectorKind.self), Self.mismatch("\(K.phasesConnected).1", PhasesConnected.self),
            Self.mismatch("\(K.phaseRotation).1", PhaseRotation.self), Self.mismatch(K.hlcMode, HLCMode.self),
            Self.mismatch(K.freeChargingMode, FreeChargingMode.self), Self.mismatch(K.ifInDoubtAllowCharging, IfInDoubtAllowCharging.self),
            Self.mismatch(K.stopTransactionMode, StopTransactionMode.self), Self.mismatch(K.rfidTagLetterCase, RFIDLetterCase.self),
            Self.mismatch(K.localWhitelistMode, LocalWhitelistMode.self), Self.mismatch(K.ocppWhitelistExpiryMode, CacheExpiryMode.self),
            Self.mismatch(K.dlmMode, DLMMode.self), Self.mismatch(K.externalMeterLocation, ExternalMeterLocation.self),
            Self.mismatch(K.authenticationMode, AuthenticationMode.self), Self.mismatch(K.iso15118OCPPExtension, ISO15118OCPPExtension.self),
        ].compactMap { $0 }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("a choice reads as its enum; the default when nothing is stored")
    func reading() {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 2))
        #expect(p.choice(StationParameters.ocppMode, OCPPMode.self) == .ocppJ16)
        p.set(StationParameters.ocppMode, .choice(OCPPMode.off))
        #expect(p.choice(StationParameters.ocppMode, OCPPMode.self) == .off)
        #expect(!BackendSettings(p).enabled)
    }
}
