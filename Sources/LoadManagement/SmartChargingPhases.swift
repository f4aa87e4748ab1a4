#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

extension ChargingProfiles {
    /// The phases the charging profiles allow connector `connector` (≥ 1) at `t`: the `numberPhases` of the running
    /// period of the profile that decides its limit (the ChargePointMaxProfile and the TxProfile or TxDefaultProfile,
    /// the lower of the two), or nil when none gives one. OCPP 1.6 §7.7 ChargingSchedulePeriod: "The number of phases
    /// that can be used for charging"; without it three are assumed, which asks for nothing here. A connector with a
    /// phase-switching contactor follows it by switching (issue 25 item 3).
    public func phases(connector: Int, at t: Date, transaction: Transaction?) -> Int? {
        let hasTxProfile = transaction != nil && installed.contains { $0.purpose == .txProfile && $0.connector == connector }
        let asked = [purposePeriod(.chargePointMaxProfile, connector: 0, at: t, transaction: nil),
                     purposePeriod(hasTxProfile ? .txProfile : .txDefaultProfile, connector: connector, at: t, transaction: transaction)]
            .compactMap { $0?.numberPhases }
        return asked.min()
    }

    /// The running period of the highest-stack profile of `purpose` that runs at `t` (the one ``purposeLimit`` takes).
    func purposePeriod(_ purpose: Purpose, connector: Int, at t: Date, transaction: Transaction?) -> ChargingSchedulePeriod? {
        var candidates = installed.filter { $0.purpose == purpose && $0.connector == connector }
        if purpose == .txDefaultProfile && candidates.isEmpty { candidates = installed.filter { $0.purpose == .txDefaultProfile && $0.connector == 0 } }
        if purpose == .chargePointMaxProfile { candidates = installed.filter { $0.purpose == .chargePointMaxProfile } }
        for c in candidates.sorted(by: { $0.profile.stackLevel > $1.profile.stackLevel }) {
            let p = c.profile
            if let from = p.validFrom, t < from { continue }
            if let to = p.validTo, t >= to { continue }
            if let period = Self.schedulePeriod(p, at: t, start: transaction?.startedAt ?? t) { return period }
        }
        return nil
    }
}
