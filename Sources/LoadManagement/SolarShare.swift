/// How much of a session's energy came from the PV surplus and how much from the grid (issue 25 item 4, the durable
/// part: the charging history, its API and its CSV export show it; seeds/000 "PV-gesteuertes Laden aktivieren").
///
/// Definition: the session's energy is what the connector's meter register counted (the same figure as the history's
/// `energyWh`); every increase of that register is split in the proportion of the connector's power that the surplus
/// covered at that poll (``SurplusDecision/fromPVW`` for a connector in Min+PV or PV mode; in Fast mode what is left of
/// the grid meter's export plus the station's own draw after the Min+PV and PV connectors took theirs, see
/// `StationController.solarSplit`). The house's own consumption is covered by PV first: a station that draws while the
/// grid meter shows import takes that import. So `fromPVWh + fromGridWh` is the session's energy, and
/// ``percent`` its PV share.
///
/// Without a grid meter reading nothing can be said about PV: such intervals count as grid, and a session that never
/// had a reading has no solar share at all (``measured`` false; the history shows null, not 0 %).
public struct SolarShare: Sendable, Codable, Equatable {
    /// Energy of the session the PV surplus covered, Wh.
    public var fromPVWh: Double
    /// Energy of the session drawn from the grid, Wh.
    public var fromGridWh: Double
    /// The connector meter's register (Wh) up to which the session's energy has been split: after a restart the split
    /// goes on from here, so an interval is neither lost nor counted twice.
    public var meterWh: Double
    /// At least one poll of the session had a grid meter reading.
    public var measured: Bool

    public init(fromPVWh: Double = 0, fromGridWh: Double = 0, meterWh: Double, measured: Bool = false) {
        self.fromPVWh = fromPVWh; self.fromGridWh = fromGridWh; self.meterWh = meterWh; self.measured = measured
    }

    /// The split energy, Wh.
    public var totalWh: Double { fromPVWh + fromGridWh }

    /// The PV share of the split energy, % (one decimal); nil without a grid meter reading or before any energy.
    public var percent: Double? {
        guard measured, totalWh > 0 else { return nil }
        return (fromPVWh / totalWh * 1000).rounded() / 10
    }

    /// The share carried on to a meter register of `meterWh` with the proportion split so far (used where no poll's
    /// split is known for the rest: a session closed at its last sample after a restart).
    public func extended(to meterWh: Double) -> SolarShare {
        var s = self
        let added = meterWh - self.meterWh
        guard added.isFinite, added > 0 else { return s }
        let fraction = totalWh > 0 ? fromPVWh / totalWh : 0
        s.fromPVWh += added * fraction
        s.fromGridWh += added * (1 - fraction)
        s.meterWh = meterWh
        return s
    }
}

/// Splits a running session's energy into PV and grid, poll by poll (see ``SolarShare`` for the definition). Pure: the
/// meter register, the connector's power and the PV part of it in; no clock is needed, since the register already
/// integrates the power over time (a time integral of the polled power would drift from the session's metered energy).
public struct SolarShareMeter: Sendable, Equatable {
    public private(set) var share: SolarShare
    /// The PV fraction of the connector's power at the latest poll that had a draw and a split: a register that counts
    /// on after the power reads 0 (a meter updates its register later than its power) keeps the proportion.
    public private(set) var lastFraction: Double = 0

    /// A new session, from its start meter value.
    public init(meterStartWh: Double) { share = SolarShare(meterWh: meterStartWh) }

    /// A session that resumes after a restart, from what was persisted.
    public init(resuming share: SolarShare) {
        self.share = share
        lastFraction = share.totalWh > 0 ? share.fromPVWh / share.totalWh : 0
    }

    /// One poll. `meterWh`: the connector meter's register; `powerW`: what the connector draws; `fromPVW`: the part of it
    /// the surplus covers, nil without a grid meter reading (the interval then counts as grid). A register that goes
    /// back (a replaced meter) or a value that is not finite moves the base without counting anything.
    public mutating func add(meterWh: Double, powerW: Double, fromPVW: Double?) {
        guard meterWh.isFinite else { return }
        if let pv = fromPVW, pv.isFinite {
            share.measured = true
            if powerW.isFinite, powerW > 0 { lastFraction = min(1, max(0, pv / powerW)) }
        } else {
            lastFraction = 0
        }
        let added = meterWh - share.meterWh
        share.meterWh = meterWh
        guard added > 0 else { return }
        share.fromPVWh += added * lastFraction
        share.fromGridWh += added * (1 - lastFraction)
    }

    /// The final split when the session stops at `meterWh`: what the register counted since the last poll in the
    /// latest proportion.
    public func closed(at meterWh: Double) -> SolarShare {
        var m = self
        let fraction = lastFraction
        let added = meterWh - m.share.meterWh
        guard meterWh.isFinite, added > 0 else { return m.share }
        m.share.fromPVWh += added * fraction
        m.share.fromGridWh += added * (1 - fraction)
        m.share.meterWh = meterWh
        return m.share
    }
}
