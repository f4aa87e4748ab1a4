#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Testing

/// LPC's Controllable System through the application (EEBUS UC TS LimitationOfPowerConsumption V1.0.0, the state
/// diagram; test specification V1.0.1 [LPC-906], [LPC-916], [LPC-921], [LPC-TS-012]), with the station's "Zeit bis
/// Verbindungsausfall" 4 s and "Strom bei Verbindungsausfall" 6 A (seeds/000 §3).
@Suite struct ChargerLPCTests {
    private let t0 = ChargerFixture.t0
    private let limit4200 = #"{"limitId":0,"isLimitActive":true,"value":{"number":4200,"scale":0}}"#

    /// A station whose energy guard has sent a heartbeat and an active 4.2 kW limit at t0.
    private func limited() -> ChargerEEBUSApplication {
        var app = ChargerFixture.application()
        ChargerFixture.heartbeat(&app, counter: 1, at: t0)
        #expect(ChargerFixture.writeLPC(&app, limit4200, at: t0) == .accepted)
        return app
    }

    @Test func initWaitsForTheEnergyGuardAndRunsAutonomouslyAfter120sWithoutALimit() {
        var app = ChargerFixture.application()
        #expect(app.lpc.state == .initial)
        ChargerFixture.heartbeat(&app, counter: 1, from: ChargerFixture.hemsSKI, at: t0 + 1)
        app.tick(now: t0 + 119)
        #expect(app.lpc.state == .initial, "a heartbeat of a manager that never wrote LPC data is no energy guard")
        app.tick(now: t0 + 120)
        #expect(app.lpc.state == .unlimitedAutonomous)
        #expect(app.output.stationLimit == nil)
        ChargerFixture.heartbeat(&app, counter: 5, at: t0 + 200)
        #expect(ChargerFixture.writeLPC(&app, limit4200, at: t0 + 201) == .accepted)
        #expect(app.lpc.state == .limited)
        #expect(app.output.stationLimit == EEBUSStationLimit(reason: .activePowerLimit, powerW: 4200))
    }

    @Test func aHeartbeatAndALimitLeadToLimitedAndAnInactiveLimitToUnlimitedControlled() {
        var app = limited()
        #expect(app.lpc.state == .limited)
        #expect(app.lpc.energyGuard == ChargerFixture.guardSKI)
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":false}"#, filters: [ChargerFixture.partial], at: t0 + 1) == .accepted)
        #expect(app.lpc.state == .unlimitedControlled)
        #expect(app.output.stationLimit == nil)
        #expect(app.lpc.limit.valueW == 4200, "a partial write keeps the value")
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":true}"#, filters: [ChargerFixture.partial], at: t0 + 2) == .accepted)
        #expect(app.lpc.state == .limited)
    }

    @Test func aLimitWithADurationEndsAndTheStationIsUnlimitedControlled() {
        var app = ChargerFixture.application()
        ChargerFixture.heartbeat(&app, counter: 1, at: t0)
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":true,"value":{"number":5000,"scale":0},"timePeriod":{"endTime":"PT10S"}}"#,
                                        at: t0) == .accepted)
        #expect(app.output.stationLimit == EEBUSStationLimit(reason: .activePowerLimit, powerW: 5000, endTime: t0 + 10))
        for s in 1...9 {
            ChargerFixture.heartbeat(&app, counter: 1 + s, at: t0 + Double(s))
            app.tick(now: t0 + Double(s))
        }
        #expect(app.lpc.state == .limited)
        ChargerFixture.heartbeat(&app, counter: 11, at: t0 + 10)
        app.tick(now: t0 + 10)
        #expect(app.lpc.state == .unlimitedControlled)
        #expect(app.lpc.limit.isActive == false)
        #expect(app.output.stationLimit == nil)
    }

    @Test func aMissingHeartbeatLeadsToTheWrittenFailsafeLimitForAtLeastTheMinimumDuration() {
        var app = limited()
        #expect(ChargerFixture.writeFailsafe(&app, #"{"keyId":0,"value":{"scaledNumber":{"number":3000,"scale":0}}}"#,
                                             filters: [ChargerFixture.partial], at: t0) == .accepted)
        app.tick(now: t0 + 4)
        #expect(app.lpc.state == .limited, "4 s without a heartbeat is still within the time")
        app.tick(now: t0 + 4.5)
        #expect(app.lpc.state == .failsafe)
        #expect(app.output.stationLimit == EEBUSStationLimit(reason: .failsafePowerLimit, powerW: 3000))
        // The heartbeat returns: failsafe stays ([LPC-TS-012]) until a limit follows it ([LPC-916]).
        ChargerFixture.heartbeat(&app, counter: 9, at: t0 + 60)
        app.tick(now: t0 + 61)
        #expect(app.lpc.state == .failsafe)
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":true,"value":{"number":6000,"scale":0}}"#, at: t0 + 62) == .accepted)
        #expect(app.lpc.state == .limited)
        #expect(app.output.stationLimit == EEBUSStationLimit(reason: .activePowerLimit, powerW: 6000))
    }

    @Test func failsafeEndsAfterItsMinimumDurationToAutonomousWithoutOrControlledWithAHeartbeat() {
        var app = limited()
        app.tick(now: t0 + 5)
        #expect(app.lpc.state == .failsafe)
        let entered = app.lpc.stateSince
        app.tick(now: entered + 7199)
        #expect(app.lpc.state == .failsafe)
        app.tick(now: entered + 7200)
        #expect(app.lpc.state == .unlimitedAutonomous, "[LPC-921]: after the minimum without the energy guard")
        #expect(app.output.stationLimit == nil)
        ChargerFixture.heartbeat(&app, counter: 2, at: entered + 7300)
        #expect(app.lpc.state == .limited, "the energy guard is back; its limit (still active) applies")

        var other = limited()
        other.tick(now: t0 + 5)
        ChargerFixture.heartbeat(&other, counter: 2, at: t0 + 7204)
        other.tick(now: t0 + 7205)
        #expect(other.lpc.state == .limited, "after the minimum with the heartbeat back: controlled again")
    }

    @Test func withoutAWrittenFailsafeLimitTheStationsFallbackCurrentApplies() {
        var app = ChargerFixture.application(settings: EEBUSSettings(fallbackCurrentA: 8, connectionTimeoutSeconds: 30))
        ChargerFixture.heartbeat(&app, counter: 1, at: t0)
        #expect(ChargerFixture.writeLPC(&app, #"{"limitId":0,"isLimitActive":false,"value":{"number":0,"scale":0}}"#, at: t0) == .accepted)
        #expect(app.lpc.state == .unlimitedControlled)
        app.remoteChanged(ski: ChargerFixture.guardSKI, deviceType: nil, now: t0 + 10)
        app.tick(now: t0 + 30)
        #expect(app.lpc.state == .unlimitedControlled, "the connection loss counts from the last heartbeat")
        app.tick(now: t0 + 31)
        #expect(app.lpc.state == .failsafe)
        #expect(app.output.stationLimit == EEBUSStationLimit(reason: .fallbackCurrent, currentPerConnectorA: 8))
        let status = app.status(now: t0 + 31)
        #expect(status.lpcState == .failsafe)
        #expect(status.heartbeatAgeSeconds == 31)
        #expect(status.failsafeLimitW == nil)
        #expect(status.failsafeDurationMinimumSeconds == 7200)
        #expect(status.energyGuard == ChargerFixture.guardSKI)
        #expect(status.remotes.isEmpty)
    }

    @Test func aLongerFailsafeDurationMinimumIsKept() {
        var app = limited()
        #expect(ChargerFixture.writeFailsafe(&app, #"{"keyId":1,"value":{"duration":"PT5H"}}"#, filters: [ChargerFixture.partial], at: t0) == .accepted)
        app.tick(now: t0 + 5)
        app.tick(now: t0 + 5 + 4 * 3600)
        #expect(app.lpc.state == .failsafe)
        app.tick(now: t0 + 5 + 5 * 3600)
        #expect(app.lpc.state == .unlimitedAutonomous)
    }

    @Test func theWrittenFailsafeValuesAreStoredAndRestoredAtTheNextStart() {
        var app = limited()
        #expect(app.lpc.storedValues == .init())
        #expect(ChargerFixture.writeFailsafe(&app, #"{"keyId":0,"value":{"scaledNumber":{"number":3000,"scale":0}}},{"keyId":1,"value":{"duration":"PT4H"}}"#,
                                             at: t0) == .accepted)
        let stored = app.lpc.storedValues
        #expect(stored == LPCControllableSystem.StoredValues(failsafeLimitW: 3000, failsafeDurationMinimumSeconds: 14_400))
        var restarted = ChargerEEBUSApplication(deviceAddress: "d:_n:ChargeKit_CK-0001", station: ChargerFixture.station,
                                                connectors: [ChargerFixture.connector()], stored: stored, now: t0 + 100)
        #expect(restarted.data("deviceConfigurationKeyValueListData", of: SPINEFeatureAddress(entity: [1], feature: ChargerEEBUSModel.Feature.lpcDeviceConfiguration))
                == ChargerFixture.json(#"""
                   {"deviceConfigurationKeyValueData":[{"keyId":0,"value":{"scaledNumber":{"number":3000,"scale":0}},"isValueChangeable":true},
                    {"keyId":1,"value":{"duration":"PT4H"},"isValueChangeable":true}]}
                   """#))
        ChargerFixture.heartbeat(&restarted, counter: 1, at: t0 + 101)
        #expect(ChargerFixture.writeLPC(&restarted, limit4200, at: t0 + 101) == .accepted)
        restarted.tick(now: t0 + 106)
        #expect(restarted.output.stationLimit == EEBUSStationLimit(reason: .failsafePowerLimit, powerW: 3000))
        let bad = ChargerEEBUSApplication(deviceAddress: "d", station: ChargerFixture.station, connectors: [],
                                          stored: .init(failsafeLimitW: -1, failsafeDurationMinimumSeconds: 60), now: t0)
        #expect(bad.lpc.storedValues == .init(), "stored values out of range are ignored")
    }

    @Test func onlyTheEnergyGuardsHeartbeatCounts() {
        var app = limited()
        for s in 1...10 { ChargerFixture.heartbeat(&app, counter: s, from: ChargerFixture.hemsSKI, at: t0 + Double(s)) }
        #expect(app.lpc.state == .failsafe)
        var notAHeartbeat = limited()
        notAHeartbeat.received(SPINEReceivedData(classifier: .notify, function: "deviceDiagnosisHeartbeatData", data: .object([:]), filters: [],
                                                 localFeature: SPINEFeatureAddress(entity: [1], feature: ChargerEEBUSModel.Feature.lpcHeartbeatClient),
                                                 from: ChargerFixture.remote(ChargerFixture.guardSKI)), now: t0 + 3)
        notAHeartbeat.tick(now: t0 + 5)
        #expect(notAHeartbeat.lpc.state == .failsafe, "data without a counter is no heartbeat")
    }
}
