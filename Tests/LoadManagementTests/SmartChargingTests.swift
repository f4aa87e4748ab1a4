import Foundation
import Testing
import LoadManagement
import OCPP16
import TestSupport

@Suite("OCPP smart charging: profiles and composite schedule (OCPP 1.6 §3.13)")
struct SmartChargingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let electrical = ChargingProfiles.Electrical(voltageV: 230)

    func profile(_ id: Int, _ purpose: String, stack: Int = 0, kind: String = "Absolute", start: Date? = nil, duration: Int? = nil,
                 unit: String = "A", _ periods: [(Int, Double)], recurrency: String? = nil, validFrom: Date? = nil, validTo: Date? = nil,
                 transactionId: Int? = nil) -> ChargingProfile {
        ChargingProfile(chargingProfileId: id, transactionId: transactionId, stackLevel: stack, chargingProfilePurpose: purpose,
                        chargingProfileKind: kind, recurrencyKind: recurrency, validFrom: validFrom, validTo: validTo,
                        chargingSchedule: ChargingSchedule(duration: duration, startSchedule: start, chargingRateUnit: unit,
                                                           chargingSchedulePeriod: periods.map { ChargingSchedulePeriod(startPeriod: $0.0, limit: $0.1) }))
    }

    func table(_ s: ChargingSchedule) -> [[Double]] { s.chargingSchedulePeriod.map { [Double($0.startPeriod), $0.limit] } }

    @Test("TC_066: CPMax + TxDefault + TxProfile → 0:8, 50:10, 200:6, 240:10 (the TxProfile overrides TxDefault for the transaction)")
    func tc066() {
        var p = ChargingProfiles()
        let tx = ChargingProfiles.Transaction(transactionID: 7, startedAt: t0)
        _ = p.install(connector: 0, profile(1, "ChargePointMaxProfile", start: t0, duration: 86_400, [(0, 10)]), now: t0)
        _ = p.install(connector: 1, profile(2, "TxDefaultProfile", start: t0, duration: 300, [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)]), now: t0)
        _ = p.install(connector: 1, profile(3, "TxProfile", start: t0, duration: 260, [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)]), now: t0)
        let c = p.composite(connector: 1, start: t0, durationSeconds: 400, unit: "A", transaction: tx, electrical: electrical,
                            ceilingAmps: 32, phases: 3)
        #expect(table(c) == [[0, 8], [50, 10], [200, 6], [240, 10]])
        #expect(c.duration == 400 && c.startSchedule == t0)
    }

    @Test("TC_072: two TxDefault stack levels → 0:7, 100:9, 150:8, 200:10 (the higher level falls back when its schedule ends)")
    func tc072() {
        var p = ChargingProfiles()
        _ = p.install(connector: 1, profile(1, "TxDefaultProfile", stack: 0, start: t0, duration: 400, [(0, 6), (100, 8), (200, 10)]), now: t0)
        _ = p.install(connector: 1, profile(2, "TxDefaultProfile", stack: 1, start: t0, duration: 150, [(0, 7), (100, 9)]), now: t0)
        let c = p.composite(connector: 1, start: t0, durationSeconds: 350, unit: "A", transaction: nil, electrical: electrical,
                            ceilingAmps: 32, phases: 3)
        #expect(table(c) == [[0, 7], [100, 9], [150, 8], [200, 10]])
    }

    @Test("W profiles become amperes per phase (numberPhases default 3); a W composite multiplies back")
    func watts() {
        var p = ChargingProfiles()
        _ = p.install(connector: 0, profile(1, "TxDefaultProfile", kind: "Relative", unit: "W", [(0, 11_040), (60, 4_140)]), now: t0)
        let tx = ChargingProfiles.Transaction(transactionID: 1, startedAt: t0)
        #expect(p.limit(connector: 1, at: t0, transaction: tx, electrical: electrical) == 16)
        #expect(p.limit(connector: 2, at: t0.addingTimeInterval(61), transaction: tx, electrical: electrical) == 6)
        let c = p.composite(connector: 1, start: t0, durationSeconds: 120, unit: "W", transaction: tx, electrical: electrical, ceilingAmps: 32, phases: 3)
        #expect(table(c) == [[0, 11_040], [60, 4_140]])
    }

    @Test("a relative schedule whose boundaries fall between whole seconds still changes at each boundary")
    func fractionalStart() {
        var p = ChargingProfiles()
        var rng = SplitMix64(seed: 59)
        for _ in 0..<500 {
            let fraction = Double.random(in: 0..<1, using: &rng)
            let started = Date(timeIntervalSince1970: 1_795_000_000 + Double(Int.random(in: 0...10_000_000, using: &rng)) + fraction)
            _ = p.install(connector: 1, profile(6, "TxProfile", kind: "Relative", [(0, 9), (100, 12)]), now: started)
            let c = p.composite(connector: 1, start: started.addingTimeInterval(1.3), durationSeconds: 200, unit: "A",
                                transaction: .init(transactionID: 1, startedAt: started), electrical: electrical, ceilingAmps: 32, phases: 3)
            #expect(c.chargingSchedulePeriod.map(\.limit) == [9, 12], "start fraction \(fraction)")
        }
    }

    @Test("Recurring daily profiles repeat every 24 h from startSchedule; validFrom/validTo bound every profile")
    func recurring() {
        var p = ChargingProfiles()
        _ = p.install(connector: 0, profile(1, "ChargePointMaxProfile", kind: "Recurring", start: t0, [(0, 10), (3600, 20)], recurrency: "Daily",
                                            validTo: t0.addingTimeInterval(3 * 86_400)), now: t0)
        #expect(p.limit(connector: 1, at: t0.addingTimeInterval(86_400 + 10), transaction: nil, electrical: electrical) == 10)
        #expect(p.limit(connector: 1, at: t0.addingTimeInterval(86_400 + 3700), transaction: nil, electrical: electrical) == 20)
        #expect(p.limit(connector: 1, at: t0.addingTimeInterval(3 * 86_400 + 10), transaction: nil, electrical: electrical) == nil)
        #expect(p.removeExpired(now: t0.addingTimeInterval(3 * 86_400)) == [1])
    }

    @Test("connector 0's composite is the station's expected draw: the connectors' sum capped by the ChargePointMaxProfile")
    func stationComposite() {
        var p = ChargingProfiles()
        _ = p.install(connector: 0, profile(1, "ChargePointMaxProfile", start: t0, duration: 100, [(0, 12)]), now: t0)
        _ = p.install(connector: 1, profile(2, "TxDefaultProfile", start: t0, duration: 200, [(0, 6)]), now: t0)
        _ = p.install(connector: 2, profile(3, "TxDefaultProfile", start: t0, [(0, 8), (150, 10)]), now: t0)
        let c = p.stationComposite(start: t0, durationSeconds: 300, unit: "A", connectors: [(nil, 32), (nil, 16)], electrical: electrical)
        #expect(table(c) == [[0, 12], [100, 14], [150, 16], [200, 42]])
    }

    @Test("ChargePointMaxProfile is shared by the running transactions")
    func shared() {
        var p = ChargingProfiles()
        _ = p.install(connector: 0, profile(1, "ChargePointMaxProfile", start: t0, [(0, 32)]), now: t0)
        #expect(p.limit(connector: 1, at: t0, transaction: nil, electrical: electrical, sharers: 2) == 16)
        #expect(table(p.stationComposite(start: t0, durationSeconds: 60, unit: "A", connectors: [(nil, 32), (nil, 32)],
                                         electrical: electrical)) == [[0, 32]], "the whole station draws at most 32 A")
    }

    @Test("SetChargingProfile rules: Rejected with the reason, nothing stored", arguments: [
        (1, "ChargePointMaxProfile", false, "connector 0"),
        (0, "TxProfile", true, "needs a connector"),
        (1, "TxProfile", false, "running transaction"),
        (3, "TxDefaultProfile", false, "does not exist"),
    ])
    func rejections(connector: Int, purpose: String, running: Bool, reason: String) {
        let p = ChargingProfiles()
        let tx = running ? ChargingProfiles.Transaction(transactionID: 5, startedAt: t0) : nil
        let why = p.rejection(connector: connector, profile(1, purpose, start: t0, [(0, 10)]), connectorCount: 2, transaction: tx, now: t0)
        #expect(why?.contains(reason) == true, "\(why ?? "accepted")")
        #expect(p.installed.isEmpty)
    }

    @Test("schedule and limit rules: first period at 0, increasing starts, stack level, period count, recurrency, wrong transaction")
    func shapeRules() {
        var p = ChargingProfiles()
        let tx = ChargingProfiles.Transaction(transactionID: 5, startedAt: t0)
        func why(_ x: ChargingProfile, connector: Int = 1) -> String? { p.rejection(connector: connector, x, connectorCount: 2, transaction: tx, now: t0) }
        #expect(why(profile(1, "TxDefaultProfile", start: t0, [(10, 10)])) != nil)
        #expect(why(profile(1, "TxDefaultProfile", start: t0, [(0, 10), (0, 12)])) != nil)
        #expect(why(profile(1, "TxDefaultProfile", stack: 11, start: t0, [(0, 10)])) != nil)
        #expect(why(profile(1, "TxDefaultProfile", start: t0, (0..<25).map { ($0 * 10, 10.0) })) != nil)
        #expect(why(profile(1, "TxDefaultProfile", start: t0, [(0, 10)], recurrency: "Daily")) != nil)
        #expect(why(profile(1, "TxDefaultProfile", kind: "Recurring", [(0, 10)], recurrency: "Daily")) != nil)
        #expect(why(profile(1, "TxProfile", start: t0, [(0, 10)], transactionId: 6)) != nil)
        #expect(why(profile(1, "TxProfile", start: t0, [(0, 10)], transactionId: 5)) == nil)
        for id in 1...20 { _ = p.install(connector: 1, profile(id, "TxDefaultProfile", stack: id % 10, start: t0, [(0, 10)]), now: t0) }
        #expect(p.installed.count == 10, "same stack level and purpose on the same connector replaces")
        for id in 21...30 { _ = p.install(connector: 2, profile(id, "TxDefaultProfile", stack: id % 10, start: t0, [(0, 10)]), now: t0) }
        #expect(why(profile(99, "TxDefaultProfile", start: t0, [(0, 10)]), connector: 0) != nil, "MaxChargingProfilesInstalled")
    }

    @Test("ClearChargingProfile: by id ignores the other fields; otherwise all given fields must match; TxProfiles end with the transaction")
    func clear() {
        var p = ChargingProfiles()
        _ = p.install(connector: 0, profile(1, "ChargePointMaxProfile", start: t0, [(0, 10)]), now: t0)
        _ = p.install(connector: 1, profile(2, "TxDefaultProfile", stack: 1, start: t0, [(0, 10)]), now: t0)
        _ = p.install(connector: 1, profile(3, "TxDefaultProfile", stack: 2, start: t0, [(0, 10)]), now: t0)
        _ = p.install(connector: 1, profile(4, "TxProfile", start: t0, [(0, 10)]), now: t0)
        #expect(p.clear(id: 1, connector: 2, purpose: "TxProfile", stackLevel: 9) == [1])
        #expect(p.clear(id: nil, connector: 1, purpose: "TxDefaultProfile", stackLevel: 2) == [3])
        #expect(p.clear(id: nil, connector: 2, purpose: nil, stackLevel: nil).isEmpty)
        #expect(p.transactionEnded(connector: 1) == [4])
        #expect(p.clear(id: nil, connector: nil, purpose: nil, stackLevel: nil) == [2])
    }

    @Test("property: the composite never exceeds the ceiling or any applicable profile, and is deterministic")
    func property() {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<200 {
            var p = ChargingProfiles()
            let levels = Int.random(in: 1...4, using: &rng)
            for i in 0..<levels {
                let n = Int.random(in: 1...4, using: &rng)
                var starts = Set([0]); while starts.count < n { starts.insert(Int.random(in: 1...500, using: &rng)) }
                let periods = starts.sorted().map { ($0, Double(Int.random(in: 0...400, using: &rng)) / 10) }
                _ = p.install(connector: 1, profile(i + 1, "TxDefaultProfile", stack: i, start: t0, duration: Int.random(in: 50...800, using: &rng), periods), now: t0)
            }
            let ceiling = Double(Int.random(in: 6...32, using: &rng))
            let c = p.composite(connector: 1, start: t0, durationSeconds: 900, unit: "A", transaction: nil, electrical: electrical, ceilingAmps: ceiling, phases: 3)
            let again = p.composite(connector: 1, start: t0, durationSeconds: 900, unit: "A", transaction: nil, electrical: electrical, ceilingAmps: ceiling, phases: 3)
            #expect(c == again)
            #expect(c.chargingSchedulePeriod.first?.startPeriod == 0)
            for second in stride(from: 0, to: 900, by: 7) {
                let t = t0.addingTimeInterval(Double(second))
                let period = c.chargingSchedulePeriod.last { $0.startPeriod <= second }!
                let expected = min(ceiling, p.limit(connector: 1, at: t, transaction: nil, electrical: electrical) ?? ceiling)
                #expect(abs(period.limit - (expected * 10).rounded(.down) / 10) < 1e-9)
            }
        }
    }
}
