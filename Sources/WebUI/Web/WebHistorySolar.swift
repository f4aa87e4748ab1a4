import FoundationEssentials
import ChargePoint

extension WebInterface {
    /// The history's PV column (issue 25 item 4): the session's energy from PV and its share, "–" without a grid meter
    /// reading during the session (no share, which is not 0 %).
    static func solarShare(_ r: HistoryRow) -> String {
        guard let pv = r.fromPVWh else { return "–" }
        return kWh(pv) + (r.solarSharePercent.map { " · " + WebFormat.fixed($0, 0) + " %" } ?? "")
    }
}
