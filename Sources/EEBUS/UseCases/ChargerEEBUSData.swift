#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Parameters

/// The function data of the charger's server features in the plain JSON form (names and types of the EEBUS SPINE
/// TS resource specification 1.3.0). Timestamps are left out where the use cases do not ask for them, so that the
/// data changes only when a value does (the engine notifies subscribers on change).
///
/// Ids on the vehicle entity, one electrical connection (id 0):
/// - measurements: current of phase a, b, c = 1, 2, 3 (A, `acCurrent`); power of phase a, b, c = 4, 5, 6 (W,
///   `acPower`); energy charged in the session = 7 (Wh, `charge`); only the connected phases are listed;
/// - electrical parameters: 1…6 with the measurement of the same id, 7 = total power (`acPowerTotal`, the power
///   limits of EVCC scenario 6);
/// - limits: OPEV obligations 1, 2, 3 and OSCEV recommendations 4, 5, 6 on the currents of phase a, b, c.
struct ChargerEEBUSData {
    let application: ChargerEEBUSApplication

    func data(_ function: SPINEFunction, of feature: SPINEFeatureAddress) -> JSONValue? {
        typealias F = ChargerEEBUSModel.Feature
        let entity = feature.entity
        if entity == [0] {
            return feature.feature == F.deviceInformationClassification && function == "deviceClassificationManufacturerData"
                ? manufacturerData : nil
        }
        guard let connector = entity.first, let status = application.connectors.first(where: { $0.connector == connector }) else {
            return nil
        }
        if entity.count == 1 {
            switch (feature.feature, function.rawValue) {
            case (F.evseClassification, "deviceClassificationManufacturerData"): return manufacturerData
            case (F.evseDiagnosis, "deviceDiagnosisStateData"): return stateData(status.evseState)
            case (F.evseDiagnosis, "deviceDiagnosisHeartbeatData"): return heartbeatData
            default: break
            }
            guard entity == ChargerEEBUSModel.lpcEntity else { return nil }
            switch (feature.feature, function.rawValue) {
            case (F.lpcLoadControl, "loadControlLimitDescriptionListData"): return lpcLimitDescriptions
            case (F.lpcLoadControl, "loadControlLimitListData"): return lpcLimits
            case (F.lpcDeviceConfiguration, "deviceConfigurationKeyValueDescriptionListData"): return failsafeDescriptions
            case (F.lpcDeviceConfiguration, "deviceConfigurationKeyValueListData"): return failsafeValues
            case (F.lpcElectricalConnection, "electricalConnectionCharacteristicListData"): return nominalMaximum
            default: return nil
            }
        }
        guard entity.count == 2, entity[1] == 1, status.pluggedIn else { return nil }
        switch (feature.feature, function.rawValue) {
        case (F.evDeviceConfiguration, "deviceConfigurationKeyValueDescriptionListData"): return evConfigurationDescriptions
        case (F.evDeviceConfiguration, "deviceConfigurationKeyValueListData"): return evConfiguration(status)
        case (F.evIdentification, "identificationListData"): return identification(status)
        case (F.evClassification, "deviceClassificationManufacturerData"): return .object([:])
        case (F.evElectricalConnection, "electricalConnectionDescriptionListData"): return connectionDescription(status)
        case (F.evElectricalConnection, "electricalConnectionParameterDescriptionListData"): return parameterDescriptions(status)
        case (F.evElectricalConnection, "electricalConnectionPermittedValueSetListData"): return permittedValues(status)
        case (F.evMeasurement, "measurementDescriptionListData"): return measurementDescriptions(status)
        case (F.evMeasurement, "measurementListData"): return measurements(status)
        case (F.evLoadControl, "loadControlLimitDescriptionListData"): return vehicleLimitDescriptions(status)
        case (F.evLoadControl, "loadControlLimitConstraintsListData"): return vehicleLimitConstraints(status)
        case (F.evLoadControl, "loadControlLimitListData"): return vehicleLimits(status)
        case (F.evDiagnosis, "deviceDiagnosisStateData"): return stateData(Self.vehicleOperatingState(status))
        default: return nil
        }
    }

    private static func list(_ key: String, _ items: [JSONObject]) -> JSONValue {
        .object([key: .array(items.map(JSONValue.object))])
    }

    private static func int(_ n: Int) -> JSONValue { .integer(Int64(n)) }

    // MARK: The station (EVSECC, LPC)

    /// DeviceClassification `manufacturerData` (EVSECC scenario 1), also at entity [0].
    var manufacturerData: JSONValue {
        let s = application.station
        return .object(["deviceName": .string(s.model), "deviceCode": .string(s.model), "serialNumber": .string(s.serialNumber),
                        "softwareRevision": .string(s.softwareVersion), "vendorName": .string(s.vendor), "brandName": .string(s.brand)])
    }

    /// DeviceDiagnosis `stateData` (EVSECC scenario 2; EVCC scenario 7 on the vehicle: standby while asleep).
    func stateData(_ state: EEBUSOperatingState) -> JSONValue {
        var object: JSONObject = ["operatingState": .string(state.spineName)]
        if case .failure(let error) = state { object["lastErrorCode"] = .string(error) }
        return .object(object)
    }

    /// The vehicle's operating state: a failure as reported; otherwise `normalOperation` while it charges and
    /// `standby` while it pauses or sleeps (EVCC V1.0.1 scenario 7; a manager reads normalOperation as charging and
    /// standby as paused, as eebus-go's CEM does).
    static func vehicleOperatingState(_ status: EEBUSConnectorStatus) -> EEBUSOperatingState {
        if case .failure = status.vehicleState { return status.vehicleState }
        if status.vehicleAsleep == true || !status.charging || status.vehicleState == .standby { return .standby }
        return .normalOperation
    }

    /// DeviceDiagnosis `heartbeatData` (LPC scenario 3): the counter ``ChargerEEBUSApplication/tick(now:)`` counts.
    var heartbeatData: JSONValue {
        .object(["timestamp": .string(OCPPDate.format(application.heartbeatTime)),
                 "heartbeatCounter": .integer(Int64(truncatingIfNeeded: application.heartbeatCounter)),
                 "heartbeatTimeout": .string(SPINEValueCoding.duration(seconds: ChargerEEBUSApplication.heartbeatTimeoutSeconds))])
    }

    /// LPC scenario 1: one obligation on the active power the station consumes, in W.
    var lpcLimitDescriptions: JSONValue {
        Self.list("loadControlLimitDescriptionData", [[
            "limitId": Self.int(ChargerEEBUSApplication.lpcLimitId), "limitType": .string("signDependentAbsValueLimit"),
            "limitCategory": .string("obligation"), "limitDirection": .string("consume"), "unit": .string("W"), "scopeType": .string("activePowerLimit"),
        ]])
    }

    var lpcLimits: JSONValue {
        let limit = application.lpc.limit
        let entry = LoadControlLimitEntry(isActive: limit.isActive, value: limit.valueW, endTime: limit.endTime)
        return Self.list("loadControlLimitData", [entry.spineData(limitId: ChargerEEBUSApplication.lpcLimitId, fallbackValue: 0)])
    }

    /// LPC scenario 2: the failsafe consumption limit (W) and the failsafe duration minimum.
    var failsafeDescriptions: JSONValue {
        Self.list("deviceConfigurationKeyValueDescriptionData", [
            ["keyId": .integer(0), "keyName": .string("failsafeConsumptionActivePowerLimit"), "valueType": .string("scaledNumber"), "unit": .string("W")],
            ["keyId": .integer(1), "keyName": .string("failsafeDurationMinimum"), "valueType": .string("duration")],
        ])
    }

    /// The failsafe values; the power limit has no value until the energy guard writes one (the station's own
    /// fallback is a current per connector, "Strom bei Verbindungsausfall", not a power).
    var failsafeValues: JSONValue {
        var power: JSONObject = ["keyId": .integer(0)]
        if let watts = application.lpc.failsafeLimitW { power["value"] = .object(["scaledNumber": SPINEValueCoding.scaled(watts)]) }
        power["isValueChangeable"] = .bool(true)
        let duration = SPINEValueCoding.duration(seconds: application.lpc.failsafeDurationMinimumSeconds)
        return Self.list("deviceConfigurationKeyValueData", [
            power, ["keyId": .integer(1), "value": .object(["duration": .string(duration)]), "isValueChangeable": .bool(true)],
        ])
    }

    /// LPC scenario 4: `contractualConsumptionNominalMax`, the station's nominal maximum power.
    var nominalMaximum: JSONValue {
        Self.list("electricalConnectionCharacteristicData", [[
            "electricalConnectionId": .integer(0), "parameterId": .integer(0), "characteristicId": .integer(0), "characteristicContext": .string("entity"),
            "characteristicType": .string("contractualConsumptionNominalMax"),
            "value": SPINEValueCoding.scaled(application.station.nominalMaximumPowerW), "unit": .string("W"),
        ]])
    }

    // MARK: The vehicle (EVCC, EVCEM, OPEV, OSCEV)

    /// EVCC scenarios 2 and 3: the communication standard and asymmetric charging (IEC 61851 sets one current for
    /// all phases: not asymmetric).
    var evConfigurationDescriptions: JSONValue {
        Self.list("deviceConfigurationKeyValueDescriptionData", [
            ["keyId": .integer(1), "keyName": .string("communicationsStandard"), "valueType": .string("string")],
            ["keyId": .integer(2), "keyName": .string("asymmetricChargingSupported"), "valueType": .string("boolean")],
        ])
    }

    func evConfiguration(_ status: EEBUSConnectorStatus) -> JSONValue {
        Self.list("deviceConfigurationKeyValueData", [
            ["keyId": .integer(1), "value": .object(["string": .string(status.communicationsStandard)]), "isValueChangeable": .bool(false)],
            ["keyId": .integer(2), "value": .object(["boolean": .bool(false)]), "isValueChangeable": .bool(false)],
        ])
    }

    /// EVCC scenario 4: the EVCCID the vehicle's ISO 15118 session gave; empty while unknown (IEC 61851 alone).
    /// `identificationType` (SPINE `IdentificationTypeEnumType`) is `eui48` for a MAC address (ISO 15118-2:2014
    /// §8.4.3.2.2: 6 bytes, 12 hex digits with or without separators) and `eui64` for 16 digits; an ISO 15118-20
    /// EVCCID that is neither (a free string there) goes without a type rather than with a wrong one.
    func identification(_ status: EEBUSConnectorStatus) -> JSONValue {
        guard let id = status.evccid, !id.isEmpty else { return Self.list("identificationData", []) }
        var item: JSONObject = ["identificationId": .integer(0)]
        let separators: Set<Character> = [":", "-", " "]
        if id.allSatisfy({ $0.isHexDigit || separators.contains($0) }) {
            switch id.filter(\.isHexDigit).count {
            case 12: item["identificationType"] = .string("eui48")
            case 16: item["identificationType"] = .string("eui64")
            default: break
            }
        }
        item["identificationValue"] = .string(id)
        return Self.list("identificationData", [item])
    }

    func connectionDescription(_ status: EEBUSConnectorStatus) -> JSONValue {
        Self.list("electricalConnectionDescriptionData", [[
            "electricalConnectionId": .integer(0), "powerSupplyType": .string("ac"), "acConnectedPhases": Self.int(status.connectedPhases.count),
            "positiveEnergyDirection": .string("consume"),
        ]])
    }

    func parameterDescriptions(_ status: EEBUSConnectorStatus) -> JSONValue {
        var items: [JSONObject] = []
        for offset in [1, 4] {
            for phase in status.connectedPhases {
                let id = Self.int(offset + phase.index)
                items.append(["electricalConnectionId": .integer(0), "parameterId": id, "measurementId": id, "voltageType": .string("ac"),
                              "acMeasuredPhases": .string(phase.rawValue), "acMeasuredInReferenceTo": .string("neutral"),
                              "acMeasurementType": .string("real"), "acMeasurementVariant": .string("rms")])
            }
        }
        items.append(["electricalConnectionId": .integer(0), "parameterId": .integer(7), "voltageType": .string("ac"),
                      "acMeasuredPhases": .string(status.connectedPhases.map(\.rawValue).joined()), "scopeType": .string("acPowerTotal")])
        return Self.list("electricalConnectionParameterDescriptionData", items)
    }

    /// EVCC scenario 6 and OPEV/OSCEV scenario 1: the current per phase from the minimum to the connector's
    /// maximum; the total power from the minimum to the maximum at the nominal voltage, standby 0 W.
    func permittedValues(_ status: EEBUSConnectorStatus) -> JSONValue {
        func range(_ low: Double, _ high: Double) -> JSONValue {
            .array([.object(["min": SPINEValueCoding.scaled(low), "max": SPINEValueCoding.scaled(high)])])
        }
        var items: [JSONObject] = status.connectedPhases.map { phase in
            ["electricalConnectionId": .integer(0), "parameterId": Self.int(1 + phase.index),
             "permittedValueSet": .array([.object(["range": range(status.minimumCurrentA, status.maximumCurrentA)])])]
        }
        let watts = ChargerEEBUSApplication.nominalVoltageV * Double(status.connectedPhases.count)
        items.append(["electricalConnectionId": .integer(0), "parameterId": .integer(7), "permittedValueSet": .array([.object([
            "value": .array([SPINEValueCoding.scaled(0)]),
            "range": range(status.minimumCurrentA * watts, status.maximumCurrentA * watts),
        ])])])
        return Self.list("electricalConnectionPermittedValueSetData", items)
    }

    /// EVCEM scenarios 1 (current per phase), 2 (power per phase) and 3 (charged energy).
    func measurementDescriptions(_ status: EEBUSConnectorStatus) -> JSONValue {
        var items: [JSONObject] = []
        for phase in status.connectedPhases {
            items.append(["measurementId": Self.int(1 + phase.index), "measurementType": .string("current"), "commodityType": .string("electricity"),
                          "unit": .string("A"), "scopeType": .string("acCurrent")])
        }
        for phase in status.connectedPhases {
            items.append(["measurementId": Self.int(4 + phase.index), "measurementType": .string("power"), "commodityType": .string("electricity"),
                          "unit": .string("W"), "scopeType": .string("acPower")])
        }
        items.append(["measurementId": .integer(7), "measurementType": .string("energy"), "commodityType": .string("electricity"), "unit": .string("Wh"), "scopeType": .string("charge")])
        return Self.list("measurementDescriptionData", items)
    }

    func measurements(_ status: EEBUSConnectorStatus) -> JSONValue {
        func item(_ id: Int, _ value: Double) -> JSONObject {
            ["measurementId": Self.int(id), "valueType": .string("value"), "value": SPINEValueCoding.scaled(value), "valueSource": .string("measuredValue")]
        }
        var items = status.connectedPhases.map { item(1 + $0.index, status.currentA[$0.index]) }
        items += status.connectedPhases.map { item(4 + $0.index, status.powerW[$0.index]) }
        items.append(item(7, status.sessionEnergyWh))
        return Self.list("measurementData", items)
    }

    func vehicleLimitDescriptions(_ status: EEBUSConnectorStatus) -> JSONValue {
        var items: [JSONObject] = []
        for recommendation in [false, true] {
            for phase in status.connectedPhases {
                items.append(["limitId": Self.int(ChargerEEBUSApplication.limitId(phase, recommendation: recommendation)),
                              "limitType": .string("maxValueLimit"), "limitCategory": .string(recommendation ? "recommendation" : "obligation"),
                              "limitDirection": .string("consume"), "measurementId": Self.int(1 + phase.index), "unit": .string("A"),
                              "scopeType": .string(recommendation ? "selfConsumption" : "overloadProtection")])
            }
        }
        return Self.list("loadControlLimitDescriptionData", items)
    }

    func vehicleLimitConstraints(_ status: EEBUSConnectorStatus) -> JSONValue {
        let rules = ChargerEEBUSApplication.vehicleLimitRules(status)
        return Self.list("loadControlLimitConstraintsData", rules.keys.sorted().map { id in
            ["limitId": Self.int(id), "valueRangeMin": SPINEValueCoding.scaled(rules[id]!.range.lowerBound),
             "valueRangeMax": SPINEValueCoding.scaled(rules[id]!.range.upperBound)]
        })
    }

    /// The OPEV/OSCEV limits; one never written is inactive at the connector's maximum current.
    func vehicleLimits(_ status: EEBUSConnectorStatus) -> JSONValue {
        let written = application.vehicleLimits[status.connector] ?? [:]
        let ids = ChargerEEBUSApplication.vehicleLimitRules(status).keys.sorted()
        return Self.list("loadControlLimitData", ids.map { id in
            (written[id] ?? LoadControlLimitEntry()).spineData(limitId: id, fallbackValue: status.maximumCurrentA)
        })
    }
}
