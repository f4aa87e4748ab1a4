#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Parameters
import Testing

/// The charger's device model and the data of every server function, against hand-written plain JSON (EEBUS SPINE
/// TS resource specification 1.3.0 names; the use case specifications EVSECC, EVCC, EVCEM, OPEV, OSCEV 1.0.1 and
/// LPC 1.0.0 for what each holds).
@Suite struct ChargerEEBUSModelTests {
    typealias F = ChargerEEBUSModel.Feature
    private let json = ChargerFixture.json

    private func data(_ app: ChargerEEBUSApplication, _ function: SPINEFunction, _ entity: [Int], _ feature: Int) -> JSONValue? {
        app.data(function, of: SPINEFeatureAddress(entity: entity, feature: feature))
    }

    @Test func withoutAVehicleOnlyTheEVSEEntityExistsAndTheEVUseCasesAreUnavailable() {
        let app = ChargerFixture.application([ChargerFixture.connector(plugged: false)])
        #expect(app.entities.map(\.address) == [[0], [1]])
        #expect(app.entities[0].type == "DeviceInformation")
        #expect(app.entities[0].features.map(\.type) == ["DeviceClassification"])
        #expect(app.entities[0].features.map(\.index) == [1], "feature 0 stays NodeManagement's")
        #expect(app.entities[1].type == "EVSE")
        #expect(app.entities[1].features.map(\.type) == ["DeviceClassification", "DeviceDiagnosis", "LoadControl",
                                                         "DeviceConfiguration", "ElectricalConnection", "DeviceDiagnosis"])
        #expect(app.entities[1].features.map(\.role) == [.server, .server, .server, .server, .server, .client])
        let byName = Dictionary(uniqueKeysWithValues: app.useCases.map { ($0.name, $0) })
        #expect(byName["limitationOfPowerConsumption"] == SPINEUseCaseDescription(
            actor: "ControllableSystem", name: "limitationOfPowerConsumption", version: "1.0.0", scenarios: [1, 2, 3, 4], entity: [1]))
        #expect(byName["evseCommissioningAndConfiguration"]?.available == true)
        for name in ["evCommissioningAndConfiguration", "measurementOfElectricityDuringEvCharging",
                     "overloadProtectionByEvChargingCurrentCurtailment", "optimizationOfSelfConsumptionDuringEvCharging"] {
            #expect(byName[name]?.available == false, "\(name)")
            #expect(byName[name]?.entity == [1, 1])
            #expect(byName[name]?.version == "1.0.1")
        }
        #expect(byName["evCommissioningAndConfiguration"]?.scenarios == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(data(app, "measurementListData", [1, 1], F.evMeasurement) == nil)
    }

    @Test func aPluggedInVehicleAddsItsEntityWithTheEVFeaturesAndMakesItsUseCasesAvailable() {
        var app = ChargerFixture.application([ChargerFixture.connector(plugged: false), ChargerFixture.connector(2, plugged: false)])
        #expect(app.entities.map(\.address) == [[0], [1], [2]])
        #expect(app.entities[2].features.count == 2, "LPC lives once, on entity [1]")
        app.update(connectors: [ChargerFixture.connector(plugged: false), ChargerFixture.connector(2)], now: ChargerFixture.t0)
        #expect(app.entities.map(\.address) == [[0], [1], [2], [2, 1]])
        let ev = app.entities[3]
        #expect(ev.type == "EV")
        #expect(ev.features.map(\.type) == ["DeviceConfiguration", "Identification", "DeviceClassification", "ElectricalConnection",
                                            "Measurement", "LoadControl", "DeviceDiagnosis"])
        let loadControl = ev.features[5]
        #expect(loadControl.functions.first { $0.function == "loadControlLimitListData" } ==
                SPINEFunctionSupport("loadControlLimitListData", write: true, partialWrite: true))
        let available = app.useCases.filter { $0.entity == [2, 1] }.map(\.available)
        #expect(available == [true, true, true, true])
        #expect(app.useCases.filter { $0.entity == [1, 1] }.allSatisfy { !$0.available })
    }

    @Test func theStationDataOfEVSECCAndLPC() {
        var app = ChargerFixture.application([ChargerFixture.connector(evse: .failure(error: "RCD tripped"))])
        let manufacturer = json(#"{"deviceName":"CK-22","deviceCode":"CK-22","serialNumber":"CK-0001","softwareRevision":"1.4.0","vendorName":"ChargeKit GmbH","brandName":"ChargeKit"}"#)
        #expect(data(app, "deviceClassificationManufacturerData", [0], F.deviceInformationClassification) == manufacturer)
        #expect(data(app, "deviceClassificationManufacturerData", [1], F.evseClassification) == manufacturer)
        #expect(data(app, "deviceDiagnosisStateData", [1], F.evseDiagnosis) ==
                json(#"{"operatingState":"failure","lastErrorCode":"RCD tripped"}"#))
        #expect(data(app, "loadControlLimitDescriptionListData", [1], F.lpcLoadControl) == json(#"""
            {"loadControlLimitDescriptionData":[{"limitId":0,"limitType":"signDependentAbsValueLimit","limitCategory":"obligation",
             "limitDirection":"consume","unit":"W","scopeType":"activePowerLimit"}]}
            """#))
        #expect(data(app, "loadControlLimitListData", [1], F.lpcLoadControl) == json(#"""
            {"loadControlLimitData":[{"limitId":0,"isLimitChangeable":true,"isLimitActive":false,"value":{"number":0,"scale":0}}]}
            """#))
        #expect(data(app, "deviceConfigurationKeyValueDescriptionListData", [1], F.lpcDeviceConfiguration) == json(#"""
            {"deviceConfigurationKeyValueDescriptionData":[
             {"keyId":0,"keyName":"failsafeConsumptionActivePowerLimit","valueType":"scaledNumber","unit":"W"},
             {"keyId":1,"keyName":"failsafeDurationMinimum","valueType":"duration"}]}
            """#))
        #expect(data(app, "deviceConfigurationKeyValueListData", [1], F.lpcDeviceConfiguration) == json(#"""
            {"deviceConfigurationKeyValueData":[{"keyId":0,"isValueChangeable":true},
             {"keyId":1,"value":{"duration":"PT2H"},"isValueChangeable":true}]}
            """#))
        #expect(data(app, "electricalConnectionCharacteristicListData", [1], F.lpcElectricalConnection) == json(#"""
            {"electricalConnectionCharacteristicData":[{"electricalConnectionId":0,"parameterId":0,"characteristicId":0,
             "characteristicContext":"entity","characteristicType":"contractualConsumptionNominalMax","value":{"number":22080,"scale":0},"unit":"W"}]}
            """#))
        app.tick(now: ChargerFixture.t0)
        #expect(data(app, "deviceDiagnosisHeartbeatData", [1], F.evseDiagnosis) ==
                json(#"{"timestamp":"2027-01-15T08:00:00.000Z","heartbeatCounter":1,"heartbeatTimeout":"PT4S"}"#))
        app.tick(now: ChargerFixture.t0 + 1)
        #expect(app.heartbeatCounter == 1, "the heartbeat counts every 2 s")
        app.tick(now: ChargerFixture.t0 + 2)
        #expect(data(app, "deviceDiagnosisHeartbeatData", [1], F.evseDiagnosis) ==
                json(#"{"timestamp":"2027-01-15T08:00:02.000Z","heartbeatCounter":2,"heartbeatTimeout":"PT4S"}"#))
        #expect(data(app, "loadControlLimitListData", [1], F.evseDiagnosis) == nil)
        #expect(data(app, "deviceClassificationManufacturerData", [3], F.evseClassification) == nil)
    }

    @Test func theVehicleDataOfEVCCEVCEMOPEVAndOSCEVOnThreePhases() {
        var status = ChargerFixture.connector()
        status.evccid = "0a:1b:2c:3d:4e:5f"
        status.vehicleAsleep = true
        let app = ChargerFixture.application([status])
        let ev = [1, 1]
        #expect(data(app, "deviceConfigurationKeyValueDescriptionListData", ev, F.evDeviceConfiguration) == json(#"""
            {"deviceConfigurationKeyValueDescriptionData":[{"keyId":1,"keyName":"communicationsStandard","valueType":"string"},
             {"keyId":2,"keyName":"asymmetricChargingSupported","valueType":"boolean"}]}
            """#))
        #expect(data(app, "deviceConfigurationKeyValueListData", ev, F.evDeviceConfiguration) == json(#"""
            {"deviceConfigurationKeyValueData":[{"keyId":1,"value":{"string":"iec61851"},"isValueChangeable":false},
             {"keyId":2,"value":{"boolean":false},"isValueChangeable":false}]}
            """#))
        #expect(data(app, "identificationListData", ev, F.evIdentification) == json(#"""
            {"identificationData":[{"identificationId":0,"identificationType":"eui48","identificationValue":"0a:1b:2c:3d:4e:5f"}]}
            """#))
        #expect(data(app, "deviceClassificationManufacturerData", ev, F.evClassification) == json("{}"))
        #expect(data(app, "deviceDiagnosisStateData", ev, F.evDiagnosis) == json(#"{"operatingState":"standby"}"#))
        #expect(data(app, "electricalConnectionDescriptionListData", ev, F.evElectricalConnection) == json(#"""
            {"electricalConnectionDescriptionData":[{"electricalConnectionId":0,"powerSupplyType":"ac","acConnectedPhases":3,"positiveEnergyDirection":"consume"}]}
            """#))
        func parameter(_ id: Int, _ phase: String) -> String {
            #"{"electricalConnectionId":0,"parameterId":\#(id),"measurementId":\#(id),"voltageType":"ac","acMeasuredPhases":"\#(phase)","acMeasuredInReferenceTo":"neutral","acMeasurementType":"real","acMeasurementVariant":"rms"}"#
        }
        #expect(data(app, "electricalConnectionParameterDescriptionListData", ev, F.evElectricalConnection) == json(
            #"{"electricalConnectionParameterDescriptionData":["#
                + [parameter(1, "a"), parameter(2, "b"), parameter(3, "c"), parameter(4, "a"), parameter(5, "b"), parameter(6, "c")].joined(separator: ",")
                + #",{"electricalConnectionId":0,"parameterId":7,"voltageType":"ac","acMeasuredPhases":"abc","scopeType":"acPowerTotal"}]}"#))
        let current = #"{"range":[{"min":{"number":6,"scale":0},"max":{"number":16,"scale":0}}]}"#
        #expect(data(app, "electricalConnectionPermittedValueSetListData", ev, F.evElectricalConnection) == json(#"""
            {"electricalConnectionPermittedValueSetData":[
             {"electricalConnectionId":0,"parameterId":1,"permittedValueSet":[\#(current)]},
             {"electricalConnectionId":0,"parameterId":2,"permittedValueSet":[\#(current)]},
             {"electricalConnectionId":0,"parameterId":3,"permittedValueSet":[\#(current)]},
             {"electricalConnectionId":0,"parameterId":7,"permittedValueSet":[{"value":[{"number":0,"scale":0}],
              "range":[{"min":{"number":4140,"scale":0},"max":{"number":11040,"scale":0}}]}]}]}
            """#))
        #expect(data(app, "measurementDescriptionListData", ev, F.evMeasurement) == json(#"""
            {"measurementDescriptionData":[
             {"measurementId":1,"measurementType":"current","commodityType":"electricity","unit":"A","scopeType":"acCurrent"},
             {"measurementId":2,"measurementType":"current","commodityType":"electricity","unit":"A","scopeType":"acCurrent"},
             {"measurementId":3,"measurementType":"current","commodityType":"electricity","unit":"A","scopeType":"acCurrent"},
             {"measurementId":4,"measurementType":"power","commodityType":"electricity","unit":"W","scopeType":"acPower"},
             {"measurementId":5,"measurementType":"power","commodityType":"electricity","unit":"W","scopeType":"acPower"},
             {"measurementId":6,"measurementType":"power","commodityType":"electricity","unit":"W","scopeType":"acPower"},
             {"measurementId":7,"measurementType":"energy","commodityType":"electricity","unit":"Wh","scopeType":"charge"}]}
            """#))
        func value(_ id: Int, _ number: Int, _ scale: Int) -> String {
            #"{"measurementId":\#(id),"valueType":"value","value":{"number":\#(number),"scale":\#(scale)},"valueSource":"measuredValue"}"#
        }
        #expect(data(app, "measurementListData", ev, F.evMeasurement) == json(#"{"measurementData":["#
            + [value(1, 155, -1), value(2, 1525, -2), value(3, 15, 0), value(4, 3565, 0), value(5, 35075, -1), value(6, 3450, 0),
               value(7, 4321, 0)].joined(separator: ",") + "]}"))
        func description(_ id: Int, _ measurement: Int, _ category: String, _ scope: String) -> String {
            #"{"limitId":\#(id),"limitType":"maxValueLimit","limitCategory":"\#(category)","limitDirection":"consume","measurementId":\#(measurement),"unit":"A","scopeType":"\#(scope)"}"#
        }
        #expect(data(app, "loadControlLimitDescriptionListData", ev, F.evLoadControl) == json(#"{"loadControlLimitDescriptionData":["#
            + [description(1, 1, "obligation", "overloadProtection"), description(2, 2, "obligation", "overloadProtection"),
               description(3, 3, "obligation", "overloadProtection"), description(4, 1, "recommendation", "selfConsumption"),
               description(5, 2, "recommendation", "selfConsumption"), description(6, 3, "recommendation", "selfConsumption")]
                .joined(separator: ",") + "]}"))
        let constraints = (1...6).map { #"{"limitId":\#($0),"valueRangeMin":{"number":0,"scale":0},"valueRangeMax":{"number":16,"scale":0}}"# }
        #expect(data(app, "loadControlLimitConstraintsListData", ev, F.evLoadControl) ==
                json(#"{"loadControlLimitConstraintsData":["# + constraints.joined(separator: ",") + "]}"))
        let limits = (1...6).map { #"{"limitId":\#($0),"isLimitChangeable":true,"isLimitActive":false,"value":{"number":16,"scale":0}}"# }
        #expect(data(app, "loadControlLimitListData", ev, F.evLoadControl) ==
                json(#"{"loadControlLimitData":["# + limits.joined(separator: ",") + "]}"))
    }

    @Test func aSinglePhaseVehicleOnPhaseBListsOnlyThatPhase() {
        var status = ChargerFixture.connector(phases: [.b])
        status.vehicleState = .failure(error: "vehicle error E")
        let app = ChargerFixture.application([status])
        let ev = [1, 1]
        #expect(data(app, "identificationListData", ev, F.evIdentification) == json(#"{"identificationData":[]}"#))
        #expect(data(app, "deviceDiagnosisStateData", ev, F.evDiagnosis) ==
                json(#"{"operatingState":"failure","lastErrorCode":"vehicle error E"}"#))
        #expect(data(app, "measurementListData", ev, F.evMeasurement) == json(#"""
            {"measurementData":[
             {"measurementId":2,"valueType":"value","value":{"number":1525,"scale":-2},"valueSource":"measuredValue"},
             {"measurementId":5,"valueType":"value","value":{"number":35075,"scale":-1},"valueSource":"measuredValue"},
             {"measurementId":7,"valueType":"value","value":{"number":4321,"scale":0},"valueSource":"measuredValue"}]}
            """#))
        #expect(data(app, "loadControlLimitListData", ev, F.evLoadControl) == json(#"""
            {"loadControlLimitData":[{"limitId":2,"isLimitChangeable":true,"isLimitActive":false,"value":{"number":16,"scale":0}},
             {"limitId":5,"isLimitChangeable":true,"isLimitActive":false,"value":{"number":16,"scale":0}}]}
            """#))
        #expect(data(app, "electricalConnectionPermittedValueSetListData", ev, F.evElectricalConnection) == json(#"""
            {"electricalConnectionPermittedValueSetData":[
             {"electricalConnectionId":0,"parameterId":2,"permittedValueSet":[{"range":[{"min":{"number":6,"scale":0},"max":{"number":16,"scale":0}}]}]},
             {"electricalConnectionId":0,"parameterId":7,"permittedValueSet":[{"value":[{"number":0,"scale":0}],
              "range":[{"min":{"number":1380,"scale":0},"max":{"number":3680,"scale":0}}]}]}]}
            """#))
    }

    @Test(arguments: [
        ("02005E100001", #"{"identificationId":0,"identificationType":"eui48","identificationValue":"02005E100001"}"#),
        ("02-00-5e-10-00-01-ff-fe", #"{"identificationId":0,"identificationType":"eui64","identificationValue":"02-00-5e-10-00-01-ff-fe"}"#),
        ("WMIV1234567", #"{"identificationId":0,"identificationValue":"WMIV1234567"}"#),
        ("0123456789", #"{"identificationId":0,"identificationValue":"0123456789"}"#),
    ])
    func theEVCCIDIsTypedOnlyWhenItIsAMACAddress(evccid: String, item: String) {
        var status = ChargerFixture.connector()
        status.evccid = evccid
        let app = ChargerFixture.application([status])
        #expect(data(app, "identificationListData", [1, 1], F.evIdentification) == json(#"{"identificationData":["# + item + "]}"))
    }

    @Test func theVehicleChargesInNormalOperationAndPausesOrSleepsInStandby() {
        var status = ChargerFixture.connector()
        var app = ChargerFixture.application([status])
        let state = { (app: ChargerEEBUSApplication) in self.data(app, "deviceDiagnosisStateData", [1, 1], F.evDiagnosis) }
        #expect(state(app) == json(#"{"operatingState":"normalOperation"}"#))
        status.charging = false
        app.update(connectors: [status], now: ChargerFixture.t0)
        #expect(state(app) == json(#"{"operatingState":"standby"}"#))
        status.charging = true
        status.vehicleState = .standby
        app.update(connectors: [status], now: ChargerFixture.t0)
        #expect(state(app) == json(#"{"operatingState":"standby"}"#))
    }

    @Test func measurementsFollowTheInputs() {
        var app = ChargerFixture.application()
        var status = ChargerFixture.connector()
        status.currentA = .init(l1: 0, l2: 0, l3: 0)
        status.powerW = .zero
        status.sessionEnergyWh = 12_345.678
        app.update(connectors: [status], now: ChargerFixture.t0)
        let list = data(app, "measurementListData", [1, 1], F.evMeasurement)
        guard case .object(let o)? = list, case .array(let items)? = o["measurementData"] else {
            Issue.record("no measurement list: \(String(describing: list))")
            return
        }
        #expect(items.count == 7)
        #expect(items[0] == json(#"{"measurementId":1,"valueType":"value","value":{"number":0,"scale":0},"valueSource":"measuredValue"}"#))
        #expect(items[6] == json(#"{"measurementId":7,"valueType":"value","value":{"number":12345678,"scale":-3},"valueSource":"measuredValue"}"#))
    }
}

extension ChargerFixture {
    static func connector(evse: EEBUSOperatingState) -> EEBUSConnectorStatus {
        var status = connector(plugged: false)
        status.evseState = evse
        return status
    }
}
