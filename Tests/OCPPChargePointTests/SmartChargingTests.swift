import Foundation
import Testing
import ChargePoint
import EVSECore
import OCPP16

/// The OCTT charge-point cases of the SmartCharging profile that Tests/Interop/ocpp16/test_smart_charging.py runs
/// against the binary (OCPP 1.6 §3.13, §5.5, §5.7, §5.16), here against the pure charge point in process.
@Suite("OCTT SmartCharging profile, in process")
struct SmartChargingTests {
    typealias H = ChargePointHarness

    /// A profile like the pytest suite's `profile(...)`: Absolute ones start now, Relative ones have no start.
    private func profile(_ h: H, _ id: Int, _ purpose: ChargingProfilePurpose, _ periods: [(Int, Double)], stack: Int = 0,
                         kind: String = "Absolute", duration: Int? = nil, transactionId: Int? = nil) -> ChargingProfile {
        let schedule = ChargingSchedule(duration: duration, startSchedule: kind == "Relative" ? nil : h.now, chargingRateUnit: "A",
                                        chargingSchedulePeriod: periods.map { ChargingSchedulePeriod(startPeriod: $0.0, limit: $0.1) })
        return ChargingProfile(chargingProfileId: id, transactionId: transactionId, stackLevel: stack, chargingProfilePurpose: purpose.rawValue,
                               chargingProfileKind: kind, chargingSchedule: schedule)
    }

    private func set(_ h: inout H, _ connector: Int, _ p: ChargingProfile) throws -> ChargingProfileStatus {
        try h.call(SetChargingProfileRequest(connectorId: connector, csChargingProfiles: p)).status
    }

    /// The composite schedule's periods as (startPeriod, limit).
    private func composite(_ h: inout H, _ connector: Int, _ duration: Int, unit: ChargingRateUnit? = nil) throws -> [(Int, Double)] {
        let r = try h.call(GetCompositeScheduleRequest(connectorId: connector, duration: duration, chargingRateUnit: unit))
        #expect(r.status == .accepted)
        return (r.chargingSchedule?.chargingSchedulePeriod ?? []).map { ($0.startPeriod, $0.limit) }
    }

    /// The pytest suite's `assert_periods`: the same limits, each period starting at most `slack` seconds early.
    private func expectPeriods(_ actual: [(Int, Double)], _ expected: [(Int, Double)], slack: Int = 2,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.map(\.1) == expected.map(\.1), "\(actual)", sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect((e.0 - slack)...e.0 ~= a.0, "\(actual) vs \(expected)", sourceLocation: sourceLocation)
        }
    }

    private func limit(_ h: H, _ n: Int = 1) -> (amps: Double, binding: LimitSource, signaled: Double) {
        let c = h.station.snapshot(now: h.now).connectors[n - 1]
        return (c.currentLimit.amps, c.currentLimit.binding, c.pilotSignal.signaledCurrentAmps)
    }

    @Test("TC_057 a TxProfile of the running transaction shapes the composite schedule and binds the signalled current")
    func TC_057() throws {
        var h = try H()
        h.connect()
        try h.charging()
        #expect(try set(&h, 1, profile(h, 2, .txProfile, [(0, 10), (30, 8)], transactionId: h.lastTransactionID)) == .accepted)
        expectPeriods(try composite(&h, 1, 60), [(0, 10), (30, 8)])
        h.run(1)
        #expect(limit(h).binding == .chargingProfile && limit(h).amps == 10)
    }

    @Test("TC_058_1 a TxProfile without a transaction is Rejected; the schedule stays the station's limit")
    func TC_058_1() throws {
        var h = try H()
        h.connect()
        #expect(try set(&h, 1, profile(h, 3, .txProfile, [(0, 10)])) == .rejected)
        expectPeriods(try composite(&h, 1, 60), [(0, 32)])
    }

    @Test("TC_058_2 a TxProfile naming another transaction is Rejected")
    func TC_058_2() throws {
        var h = try H()
        h.connect()
        try h.charging()
        #expect(try set(&h, 1, profile(h, 4, .txProfile, [(0, 10)], transactionId: h.lastTransactionID + 1000)) == .rejected)
        h.run(1)
        #expect(limit(h).binding != .chargingProfile)
    }

    @Test("TC_082 a TxDefaultProfile on connector 0 limits the running transaction; cleared, it charges unlimited again")
    func TC_082() throws {
        var h = try H()
        h.connect()
        try h.charging()
        #expect(limit(h).amps == 32)
        #expect(try set(&h, 0, profile(h, 5, .txDefaultProfile, [(0, 7)], kind: "Relative")) == .accepted)
        h.run(1)
        #expect(limit(h).amps == 7 && limit(h).binding == .chargingProfile && limit(h).signaled == 7)
        #expect(try h.call(ClearChargingProfileRequest(id: 5)).status == .accepted)
        h.run(6)  // an increase waits until the signalled current was stable for 5 s (StationController.increaseHoldOff)
        #expect(limit(h).signaled == 32 && limit(h).binding != .chargingProfile, "32 A again (the station's limit), errata 3.8")
    }

    @Test("TC_059 RemoteStartTransaction with a TxProfile: the transaction runs under it")
    func TC_059() throws {
        var h = try H()
        h.connect()
        let txProfile = profile(h, 6, .txProfile, [(0, 9), (100, 12)], kind: "Relative")
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE1", chargingProfile: txProfile)).status == .accepted)
        try h.plug()
        for _ in 0..<20 where h.calls(StartTransactionRequest.action).isEmpty { h.run(0.5) }
        #expect(h.calls(StartTransactionRequest.action).count == 1)
        expectPeriods(try composite(&h, 1, 200), [(0, 9), (100, 12)])
    }

    @Test("TC_060 RemoteStartTransaction with a profile other than a TxProfile is Rejected")
    func TC_060() throws {
        var h = try H()
        h.connect()
        let wrong = profile(h, 7, .txDefaultProfile, [(0, 9)], kind: "Relative")
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE1", chargingProfile: wrong)).status == .rejected)
        h.run(1)
        #expect(h.statuses(1) == ["Available"], "nothing was started")
    }

    @Test("TC_066 GetCompositeSchedule of ChargePointMax, TxDefault and Tx profiles, in A and in W; connector 0; an unknown connector")
    func TC_066() throws {
        var h = try H()
        h.connect()
        try h.charging()
        let tx = h.lastTransactionID
        #expect(try set(&h, 0, profile(h, 10, .chargePointMaxProfile, [(0, 10)], duration: 86400)) == .accepted)
        #expect(try set(&h, 1, profile(h, 11, .txDefaultProfile, [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)], duration: 300)) == .accepted)
        #expect(try set(&h, 1, profile(h, 12, .txProfile, [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)], duration: 260,
                                       transactionId: tx)) == .accepted)
        expectPeriods(try composite(&h, 1, 400), [(0, 8), (50, 10), (200, 6), (240, 10)])
        // In W (230 V, three phases): A × 690.
        #expect(try composite(&h, 1, 400, unit: .watts).map(\.1) == [5520, 6900, 4140, 6900])
        expectPeriods(try composite(&h, 0, 400), [(0, 10)])
        #expect(try h.call(GetCompositeScheduleRequest(connectorId: 3, duration: 60)).status == .rejected)
    }

    @Test("TC_067 ClearChargingProfile by id, by purpose and stack level, all; Unknown when nothing matches")
    func TC_067() throws {
        var h = try H()
        h.connect()
        #expect(try set(&h, 1, profile(h, 20, .txDefaultProfile, [(0, 6)], stack: 1)) == .accepted)
        #expect(try set(&h, 1, profile(h, 21, .txDefaultProfile, [(0, 8)], stack: 2)) == .accepted)
        #expect(try set(&h, 0, profile(h, 22, .chargePointMaxProfile, [(0, 20)])) == .accepted)
        expectPeriods(try composite(&h, 1, 60), [(0, 8)])
        #expect(try h.call(ClearChargingProfileRequest(id: 21)).status == .accepted)
        expectPeriods(try composite(&h, 1, 60), [(0, 6)])
        #expect(try h.call(ClearChargingProfileRequest(chargingProfilePurpose: .txDefaultProfile, stackLevel: 1)).status == .accepted)
        expectPeriods(try composite(&h, 1, 60), [(0, 20)])
        #expect(try h.call(ClearChargingProfileRequest(id: 99)).status == .unknown)
        #expect(try h.call(ClearChargingProfileRequest()).status == .accepted)
        expectPeriods(try composite(&h, 1, 60), [(0, 32)])
        #expect(try h.call(ClearChargingProfileRequest()).status == .unknown)
    }

    @Test("TC_072 stacking: the higher stack level wins while it lasts, the lower one shows through afterwards")
    func TC_072() throws {
        var h = try H()
        h.connect()
        #expect(try set(&h, 1, profile(h, 30, .txDefaultProfile, [(0, 6), (100, 8), (200, 10)], stack: 0, duration: 400)) == .accepted)
        #expect(try set(&h, 1, profile(h, 31, .txDefaultProfile, [(0, 7), (100, 9)], stack: 1, duration: 150)) == .accepted)
        expectPeriods(try composite(&h, 1, 350), [(0, 7), (100, 9), (150, 8), (200, 10)])
    }
}
