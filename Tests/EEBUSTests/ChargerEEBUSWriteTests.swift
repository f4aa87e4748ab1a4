#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Testing

/// Writes of the energy managers: OPEV obligations and OSCEV recommendations (EEBUS UC TS OPEV/OSCEV V1.0.1
/// scenario 1), LPC's limit and failsafe values (LPC V1.0.0 scenarios 1 and 2), full and partial (SPINE TS 1.3.0
/// §5.3.4), and every refusal with its error number and text.
@Suite struct ChargerEEBUSWriteTests {
    typealias F = ChargerEEBUSModel.Feature
    private let t0 = ChargerFixture.t0
    private let json = ChargerFixture.json

    private func limits(_ app: ChargerEEBUSApplication) -> JSONValue? {
        app.data("loadControlLimitListData", of: SPINEFeatureAddress(entity: [1, 1], feature: F.evLoadControl))
    }

    @Test func aFullWriteSetsOPEVObligationsAndReplacesTheListedLimitsWhole() {
        var app = ChargerFixture.application()
        let outcome = ChargerFixture.writeEV(&app, #"""
            {"limitId":1,"isLimitActive":true,"value":{"number":10,"scale":0}},{"limitId":2,"isLimitActive":true,"value":{"number":105,"scale":-1}},
            {"limitId":3,"isLimitActive":true,"value":{"number":16,"scale":0}}
            """#, at: t0)
        #expect(outcome == .accepted)
        let out = app.output.connectors[0]
        #expect(out.obligationA == EEBUSPhaseCurrents(a: 10, b: 10.5, c: 16))
        #expect(out.recommendationA.isEmpty)
        #expect(out.appliedA.lowest == 10)
        // A second full write lists limit 1 only, without a value: inactive, and the data falls back to the maximum.
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":false}"#, at: t0) == .accepted)
        #expect(app.output.connectors[0].obligationA == EEBUSPhaseCurrents(b: 10.5, c: 16))
        guard case .object(let o)? = limits(app), case .array(let items)? = o["loadControlLimitData"] else {
            Issue.record("no limit list")
            return
        }
        #expect(items[0] == json(#"{"limitId":1,"isLimitChangeable":true,"isLimitActive":false,"value":{"number":16,"scale":0}}"#))
        #expect(items[1] == json(#"{"limitId":2,"isLimitChangeable":true,"isLimitActive":true,"value":{"number":105,"scale":-1}}"#))
    }

    @Test func aPartialWriteMergesByLimitIdAndObligationStaysBelowRecommendation() {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeEV(&app, #"""
            {"limitId":4,"isLimitActive":true,"value":{"number":12,"scale":0}},{"limitId":5,"isLimitActive":true,"value":{"number":12,"scale":0}},
            {"limitId":6,"isLimitActive":true,"value":{"number":12,"scale":0}}
            """#, filters: [ChargerFixture.partial], at: t0) == .accepted)
        #expect(app.output.connectors[0].appliedA == EEBUSPhaseCurrents(a: 12, b: 12, c: 12))
        // Only the value of limit 2 changes (partial): it stays active; the obligation 8 A on b lies below the recommendation.
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":2,"isLimitActive":true,"value":{"number":8,"scale":0}}"#,
                                       filters: [ChargerFixture.partial], at: t0) == .accepted)
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":4,"value":{"number":14,"scale":0}}"#, filters: [ChargerFixture.partial], at: t0) == .accepted)
        let out = app.output.connectors[0]
        #expect(out.obligationA == EEBUSPhaseCurrents(b: 8))
        #expect(out.recommendationA == EEBUSPhaseCurrents(a: 14, b: 12, c: 12))
        #expect(out.appliedA == EEBUSPhaseCurrents(a: 14, b: 8, c: 12))
        #expect(out.appliedA.lowest == 8)
        // An obligation above the recommendation does not lift it.
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":16,"scale":0}}"#,
                                       filters: [ChargerFixture.partial], at: t0) == .accepted)
        #expect(app.output.connectors[0].appliedA.a == 14)
        let status = app.status(now: t0)
        #expect(status.connectors[0].written.map(\.limitId) == [1, 4, 2, 5, 6])
        #expect(status.connectors[0].written.first { $0.limitId == 2 }?.category == "obligation")
    }

    @Test func aLimitWithADurationEndsAndADeleteFilterRemovesTheTimePeriod() {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":10,"scale":0},"timePeriod":{"endTime":"PT30S"}}"#,
                                       at: t0) == .accepted)
        #expect(limits(app).map { "\($0)".contains("2027-01-15T08:00:30.000Z") } == true)
        app.tick(now: t0 + 29)
        #expect(app.output.connectors[0].obligationA.a == 10)
        app.tick(now: t0 + 30)
        #expect(app.output.connectors[0].obligationA.a == nil)
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":2,"isLimitActive":true,"value":{"number":9,"scale":0},"timePeriod":{"endTime":"2027-01-15T09:00:00Z"}}"#,
                                       at: t0) == .accepted)
        let delete = #"{"cmdControl":{"delete":{}},"loadControlLimitListDataSelectors":{"limitId":2},"loadControlLimitDataElements":{"timePeriod":{}}}"#
        #expect(ChargerFixture.writeEV(&app, "", filters: [delete, ChargerFixture.partial], at: t0) == .accepted)
        app.tick(now: t0 + 7200)
        #expect(app.output.connectors[0].obligationA.b == 9, "without its time period the limit no longer ends")
    }

    @Test func unpluggingForgetsTheVehiclesLimits() {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":10,"scale":0}}"#, at: t0) == .accepted)
        app.update(connectors: [ChargerFixture.connector(plugged: false)], now: t0 + 1)
        #expect(app.output.connectors[0].obligationA.isEmpty)
        app.update(connectors: [ChargerFixture.connector()], now: t0 + 2)
        #expect(app.output.connectors[0].obligationA.isEmpty)
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":10,"scale":0}}"#, connector: 2, at: t0)
                == .refused(errorNumber: 6, description: "loadControlLimitListData cannot be written at entity [2, 1], feature 6"))
    }

    @Test(arguments: [
        (#"{"limitId":1,"isLimitActive":true,"value":{"number":17,"scale":0}}"#,
         "loadControlLimitData[0].value 17 A is outside 0…16 A (limitId 1, overload protection obligation of phase a)"),
        (#"{"limitId":4,"isLimitActive":true,"value":{"number":-1,"scale":0}}"#,
         "loadControlLimitData[0].value -1 A is outside 0…16 A (limitId 4, self-consumption recommendation of phase a)"),
        (#"{"limitId":9,"isLimitActive":true,"value":{"number":10,"scale":0}}"#,
         "loadControlLimitData[0].limitId 9 is unknown (known: 1, 2, 3, 4, 5, 6)"),
        (#"{"isLimitActive":true}"#, "loadControlLimitData[0].limitId must be an integer, not missing"),
        (#"{"limitId":1,"isLimitActive":"yes"}"#, "loadControlLimitData[0].isLimitActive must be true or false, not string"),
        (#"{"limitId":1,"isLimitActive":true}"#, "loadControlLimitData[0].value is required for an active limit (limitId 1, overload protection obligation of phase a)"),
        (#"{"limitId":1,"value":{"number":1.5,"scale":0}}"#, "loadControlLimitData[0].value.number must be an integer, not number"),
        (#"{"limitId":1,"value":{"number":15,"scale":300}}"#, "loadControlLimitData[0].value.scale must be an integer of -128…127"),
        (#"{"limitId":1,"value":10}"#, "loadControlLimitData[0].value must be a scaled number {number, scale}, not integer"),
        (#"{"limitId":1,"colour":"red"}"#,
         "loadControlLimitData[0].colour is not a member of loadControlLimitData (allowed: limitId, isLimitChangeable, isLimitActive, timePeriod, value)"),
        (#"{"limitId":1,"timePeriod":{"endTime":"P1M"}}"#,
         "loadControlLimitData[0].timePeriod.endTime: years and months have no fixed length; give the duration in days, hours, minutes or seconds (e.g. \"PT2H\")"),
        (#"{"limitId":1,"timePeriod":{"endTime":"tomorrow"}}"#,
         "loadControlLimitData[0].timePeriod.endTime must be an xs:dateTime with an offset (e.g. \"2026-12-06T12:00:00Z\") or an xs:duration, not \"tomorrow\""),
        (#"{"limitId":1,"timePeriod":{"endTime":"2027-01-15T07:00:00Z"}}"#, "loadControlLimitData[0].timePeriod.endTime must lie in the future"),
        (#"{"limitId":1,"timePeriod":{"startTime":"2027-01-15T09:00:00Z"}}"#,
         "loadControlLimitData[0].timePeriod.startTime lies in the future; a limit applies from its receipt"),
        (#"{"limitId":1,"value":{"number":5,"scale":0}},{"limitId":1,"value":{"number":6,"scale":0}}"#, "loadControlLimitData[1].limitId 1 is listed twice"),
    ])
    func aBadVehicleLimitIsRefusedWithCommandRejectedAndChangesNothing(item: String, description: String) {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":3,"isLimitActive":true,"value":{"number":7,"scale":0}}"#, at: t0) == .accepted)
        let before = limits(app)
        #expect(ChargerFixture.writeEV(&app, item + #",{"limitId":2,"isLimitActive":true,"value":{"number":7,"scale":0}}"#,
                                       filters: [ChargerFixture.partial], at: t0)
                == ChargerFixture.refused(description))
        #expect(limits(app) == before, "a refused write changes nothing")
    }

    @Test func badFiltersAndBadDataShapesAreRefused() {
        var app = ChargerFixture.application()
        let before = limits(app)
        #expect(ChargerFixture.writeEV(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":7,"scale":0}},{"limitId":2,"value":{"number":99,"scale":0}}"#,
                                       at: t0)
                == ChargerFixture.refused("loadControlLimitData[1].value 99 A is outside 0…16 A (limitId 2, overload protection obligation of phase b)"))
        #expect(limits(app) == before, "the valid first item is not applied either")
        #expect(ChargerFixture.writeEV(&app, "", filters: [#"{"cmdControl":{"replace":{}}}"#], at: t0)
                == ChargerFixture.refused("filter[0].cmdControl must be partial or delete"))
        #expect(ChargerFixture.writeEV(&app, "", filters: [#"{"cmdControl":{"delete":{}},"loadControlLimitListDataSelectors":{"limitId":8}}"#], at: t0)
                == ChargerFixture.refused("filter[0].loadControlLimitListDataSelectors.limitId 8 is unknown (known: 1, 2, 3, 4, 5, 6)"))
        #expect(ChargerFixture.writeEV(&app, "", filters: [#"{"cmdControl":{"delete":{}},"loadControlLimitDataElements":{"limitId":{}}}"#], at: t0)
                == ChargerFixture.refused("filter[0].loadControlLimitDataElements.limitId cannot be deleted (allowed: timePeriod, value, isLimitActive)"))
        let request = SPINEWriteRequest(function: "loadControlLimitListData", data: json(#"{"loadControlLimitData":{"limitId":1}}"#), filters: [],
                                        feature: SPINEFeatureAddress(entity: [1, 1], feature: F.evLoadControl), from: ChargerFixture.remote("x"))
        #expect(app.write(request, now: t0) == ChargerFixture.refused("loadControlLimitListData.loadControlLimitData must be a list, not object"))
        let measurement = SPINEWriteRequest(function: "measurementListData", data: json("{}"), filters: [],
                                            feature: SPINEFeatureAddress(entity: [1, 1], feature: F.evMeasurement), from: ChargerFixture.remote("x"))
        #expect(app.write(measurement, now: t0) == .refused(errorNumber: 6, description: "measurementListData cannot be written at entity [1, 1], feature 5"))
    }

    @Test func theLPCLimitAndItsRefusals() {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":true,"value":{"number":42,"scale":2},"timePeriod":{"endTime":"PT2H"}}"#, at: t0) == .accepted)
        #expect(app.data("loadControlLimitListData", of: SPINEFeatureAddress(entity: [1], feature: F.lpcLoadControl)) == json(#"""
            {"loadControlLimitData":[{"limitId":0,"isLimitChangeable":true,"isLimitActive":true,"timePeriod":{"endTime":"2027-01-15T10:00:00.000Z"},
             "value":{"number":4200,"scale":0}}]}
            """#))
        #expect(app.lpc.limit == LPCControllableSystem.Limit(isActive: true, valueW: 4200, endTime: t0 + 7200))
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":true,"value":{"number":-1,"scale":0}}"#, at: t0)
                == ChargerFixture.refused("loadControlLimitData[0].value -1 W is outside 0…1000000000 W (limitId 0, active power consumption limit)"))
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":1,"isLimitActive":true,"value":{"number":1,"scale":0}}"#, at: t0)
                == ChargerFixture.refused("loadControlLimitData[0].limitId 1 is unknown (known: 0)"))
        #expect(app.lpc.limit.valueW == 4200)
    }

    @Test func theFailsafeValuesAndTheirRefusals() {
        var app = ChargerFixture.application()
        #expect(ChargerFixture.writeFailsafe(&app, #"""
            {"keyId":0,"value":{"scaledNumber":{"number":42,"scale":2}}},{"keyId":1,"value":{"duration":"PT3H"}}
            """#, at: t0) == .accepted)
        #expect(app.data("deviceConfigurationKeyValueListData", of: SPINEFeatureAddress(entity: [1], feature: F.lpcDeviceConfiguration)) == json(#"""
            {"deviceConfigurationKeyValueData":[{"keyId":0,"value":{"scaledNumber":{"number":4200,"scale":0}},"isValueChangeable":true},
             {"keyId":1,"value":{"duration":"PT3H"},"isValueChangeable":true}]}
            """#))
        #expect(ChargerFixture.writeFailsafe(&app, #"{"keyId":1,"value":{"duration":"P1D"}}"#, filters: [ChargerFixture.partial], at: t0) == .accepted)
        #expect(app.lpc.failsafeDurationMinimumSeconds == 86_400)
        #expect(app.lpc.failsafeLimitW == 4200)
        let refusals = [
            (#"{"keyId":1,"value":{"duration":"PT1H"}}"#, "deviceConfigurationKeyValueData[0].value.duration PT1H is outside PT2H…PT24H (failsafeDurationMinimum)"),
            (#"{"keyId":1,"value":{"duration":"P1DT1S"}}"#, "deviceConfigurationKeyValueData[0].value.duration P1DT1S is outside PT2H…PT24H (failsafeDurationMinimum)"),
            (#"{"keyId":1,"value":{"duration":"2h"}}"#,
             "deviceConfigurationKeyValueData[0].value.duration must be an xs:duration of days, hours, minutes and seconds such as \"PT2H\", not \"2h\""),
            (#"{"keyId":0,"value":{"scaledNumber":{"number":-5,"scale":0}}}"#,
             "deviceConfigurationKeyValueData[0].value.scaledNumber -5 W is outside 0…1000000000 W (failsafeConsumptionActivePowerLimit)"),
            (#"{"keyId":0,"value":{"duration":"PT2H"}}"#,
             "deviceConfigurationKeyValueData[0].value must hold a scaledNumber (keyId 0, failsafeConsumptionActivePowerLimit in W)"),
            (#"{"keyId":1,"value":{"scaledNumber":{"number":2,"scale":0}}}"#,
             "deviceConfigurationKeyValueData[0].value must hold a duration text (keyId 1, failsafeDurationMinimum)"),
            (#"{"keyId":7,"value":{"duration":"PT2H"}}"#, "deviceConfigurationKeyValueData[0].keyId 7 is unknown (known: 0, 1)"),
            (#"{"keyId":0}"#, "deviceConfigurationKeyValueData[0].value is required (keyId 0)"),
        ]
        for (item, description) in refusals {
            #expect(ChargerFixture.writeFailsafe(&app, item, at: t0) == ChargerFixture.refused(description))
        }
        #expect(ChargerFixture.writeFailsafe(&app, "", filters: [#"{"cmdControl":{"delete":{}}}"#], at: t0)
                == ChargerFixture.refused("the failsafe values cannot be deleted, only overwritten"))
        #expect(app.lpc.failsafeDurationMinimumSeconds == 86_400)
        #expect(app.lpc.failsafeLimitW == 4200)
    }

    @Test func valueCodingRoundTrips() throws {
        #expect(SPINEValueCoding.scaled(16) == json(#"{"number":16,"scale":0}"#))
        #expect(SPINEValueCoding.scaled(0.125) == json(#"{"number":125,"scale":-3}"#))
        #expect(SPINEValueCoding.scaled(-2.5) == json(#"{"number":-25,"scale":-1}"#))
        #expect(try SPINEValueCoding.scaledNumber(json(#"{"number":165,"scale":-1}"#), field: "v") == 16.5)
        #expect(try SPINEValueCoding.scaledNumber(json(#"{"number":3}"#), field: "v") == 3)
        #expect(try SPINEValueCoding.duration("P1DT2H30M4.5S", field: "d") == 95_404.5)
        #expect(try SPINEValueCoding.duration("P2W", field: "d") == 1_209_600)
        #expect(SPINEValueCoding.duration(seconds: 7200) == "PT2H")
        #expect(SPINEValueCoding.duration(seconds: 95_404) == "P1DT2H30M4S")
        #expect(SPINEValueCoding.duration(seconds: 86_400) == "P1D")
        #expect(SPINEValueCoding.duration(seconds: 0) == "PT0S")
        for bad in ["", "P", "PT", "P1H", "PT1D", "PT-1S", "P1.2.3D", "T1H"] {
            #expect(throws: SPINEValueCoding.Refusal.self, "\(bad)") { try SPINEValueCoding.duration(bad, field: "d") }
        }
    }
}
