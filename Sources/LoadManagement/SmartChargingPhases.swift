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
        let asked = [runningPeriod(.chargePointMaxProfile, connector: 0, at: t, start: t),
                     runningPeriod(hasTxProfile ? .txProfile : .txDefaultProfile, connector: connector, at: t, start: transaction?.startedAt ?? t)]
            .compactMap { $0?.period.numberPhases }
        return asked.min()
    }
}
