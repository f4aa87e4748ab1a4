import Foundation
import Testing
import Authorization
import EVSECore
import LoadManagement
import ModbusTCP
import TestSupport
@testable import ChargePoint
import StationModbus

/// Issue 21 item 3: the station's parameters are declared with typed keys, and the settings read them through those
/// keys instead of string lookups.
@Suite("Typed keys of the station's parameters")
struct TypedKeyTests {
    /// Stores `value` through the key as a form's value is stored (validated and normalized with the operator's
    /// role or the manufacturer's) and reads it back.
    func roundTrip<V>(_ key: ParameterKey<V>, _ value: V, connectors: Int = 2) throws -> V {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: connectors))
        let (resolved, normalized) = try p.registry.validateChange(key: key.name, value: key.codec.encode(value), role: .manufacturer, in: p)
        p.set(resolved.key, normalized)
        return p[key]
    }

    @Test("every parameter is declared with a typed key; the settings read declared keys only (for one and two connectors)")
    func declaredWithKeys() throws {
        for count in [1, 2] {
            let registry = ParameterRegistry(connectorCount: count)
            for d in registry.definitions { #expect(!d.valueType.isEmpty, "\(d.key)") }
            let p = ParameterSet(registry: registry)
            // A key that is not declared stops a debug build in the subscript: reading the settings reads every key they use.
            let settings = StationSettings(p)
            _ = BackendSettings(p)
            _ = DLMSettings(p)
            #expect(settings.connectors.count == 1 && settings.chargeMeters == [nil])
        }
        let registry = ParameterRegistry(connectorCount: 2)
        func type(_ key: String) -> String? { registry.definition(key)?.valueType }
        #expect(type(StationParameters.hlcMode) == "HLCMode" && type(StationParameters.hardwareMaxCurrent) == "Double")
        #expect(type(StationParameters.meterConfiguration) == "Optional<MeterModel>" && type(StationParameters.connectorCount) == "Int")
        #expect(type(StationParameters.maximumCurrentSchedule) == "Array<TimeWindowLimit>" && type(StationParameters.dlmSampleRate) == "Double")
        #expect(type(StationParameters.meterValuesSampledData) == "Array<Measurand>" && type(StationParameters.genericMeterType) == "GenericMeterValueType")
        #expect(registry.definitions.filter { $0.scope == .connector }.map(\.key) == [
            StationParameters.hardwareMaxCurrent, StationParameters.installationCurrentLimit, StationParameters.connectorKind,
            StationParameters.phasesConnected, StationParameters.phaseRotation, StationParameters.operatorCurrentLimit,
            StationParameters.meterConfiguration, StationParameters.meterAddress, StationParameters.meterPort, StationParameters.meterUnitID,
            StationParameters.chargeMode, StationParameters.phaseSwitching, StationParameters.hlcEVSEID,
        ], "the connector keys declare the connector parameters")
    }

    @Test("typed keys round-trip through the station's registry: encode, validate and normalize, store, read")
    func roundTrips() throws {
        #expect(try roundTrip(.freeCharging, true))
        #expect(try roundTrip(.connectorCount, 2) == 2)
        #expect(try roundTrip(.connector(2, of: .hardwareMaxCurrent), 40) == 40)
        #expect(try roundTrip(.powerSourceVoltage, 231.5) == 231.5)
        #expect(try roundTrip(.hlcMode, .ed2) == .ed2)
        #expect(try roundTrip(.connector(1, of: .phaseRotation), .tsr) == .tsr)
        #expect(try roundTrip(.connector(2, of: .meterConfiguration), .tqEM300LR) == .tqEM300LR)
        #expect(try roundTrip(.connector(2, of: .meterConfiguration), nil) == nil)
        #expect(try roundTrip(.meterValuesSampledData, [.voltage, .soc]) == [.voltage, .soc])
        #expect(try roundTrip(.maximumCurrentSchedule, [TimeWindowLimit(startMinute: 1020, endMinute: 1320, amps: 10)])
            == [TimeWindowLimit(startMinute: 1020, endMinute: 1320, amps: 10)])
        #expect(try roundTrip(.evseSubDistributionLimit, PhaseValues(l1: 40, l2: 45, l3: 50)) == PhaseValues(l1: 40, l2: 45, l3: 50))
        #expect(try roundTrip(.dlmSampleRate, 5) == 5)
        #expect(try roundTrip(.genericMeterEnergyType, .uint64) == .uint64)
        #expect(try roundTrip(.timezone, "Europe/Berlin") == "Europe/Berlin")
        #expect(throws: ParameterError.self) { try roundTrip(.dlmSampleRate, 7) }
    }

    @Test("a typed read is what the name reads, for parameters set by their names as a form or OCPP sets them")
    func typedReadsMatchNames() throws {
        var service = try ParameterService(store: InMemoryParameterStore(), connectorCount: 2)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for (key, text) in [("OperatorCurrentLimit.2", "16"), ("MeterConfiguration.1", "tqEM300LR"), ("MeterIPAddress.1", "10.0.0.5"), ("GenericMeterWordOrder", "CDAB"),
                            ("ExternalInputEnergyManagement", "Opto1"), ("ExternalInputCurrentLimit", "10"), ("OCPPMode", "Off"),
                            ("MaximumCurrentScheduler", "On"), ("MaximumCurrentSchedule", "17:00-22:00=10"), ("GenericMeterValueType", "int32")] {
            try service.set(key, text: text, role: .manufacturer, changedBy: "test", now: now)
        }
        let p = service.values
        #expect(p[.operatorCurrentLimit, connector: 2] == p.number("OperatorCurrentLimit.2") && p[.operatorCurrentLimit, connector: 2] == 16)
        #expect(p[.meterConfiguration, connector: 1]?.rawValue == p.string("MeterConfiguration.1") && p[.meterConfiguration, connector: 2] == nil)
        #expect(p[.genericMeterWordOrder].wordOrder == .lowFirst && p[.genericMeterType].registerType == .int32)
        #expect(p[.ocppMode] == p.choice(StationParameters.ocppMode, OCPPMode.self) && p[.ocppMode] == .off)
        let settings = StationSettings(p)
        #expect(settings.loadSheddingAmps == 10 && settings.currentSchedule == [TimeWindowLimit(startMinute: 1020, endMinute: 1320, amps: 10)])
        #expect(settings.chargeMeters.first??.model == .tqEM300LR && !BackendSettings(p).enabled)
    }
}
