import EVSECore
import Parameters

extension StationParameters {
    /// seeds/004 §7.2 (case 3, two EVSEs on one feed line: the Installation Current Limit is "available for the complete
    /// charge point" and must be at most the charging station's limit, the feed line's current carrying capacity) and
    /// §7.3: with SingleFeedLine On, InstallationCurrentLimit is the same on every connector and ≤ FeedLineCapacity.
    /// Checked when any of the three changes; the message names the rule, the parameters and the allowed range.
    static let singleFeedLineInstallation = ParameterConstraint(keys: [singleFeedLine, feedLineCapacity, installationCurrentLimit]) { p in
        let n = p.registry.connectorCount
        guard n > 1, p[.singleFeedLine] else { return nil }
        let limits = (1...n).map { p[.installationCurrentLimit, connector: $0] }
        let capacity = p[.feedLineCapacity]
        guard Set(limits).count > 1 || limits.contains(where: { $0 > capacity }) else { return nil }
        let keys = (1...n).map { "\(installationCurrentLimit).\($0)" }.joined(separator: " and ")
        let given = limits.map { ParameterValue.decimal($0).description }.joined(separator: " and ")
        return (allowed: "one value for the whole station, 6–\(ParameterValue.decimal(capacity)) A (\(feedLineCapacity))",
                message: "with a single feed line (\(singleFeedLine) On) the installation current limit is one value for the whole station, "
                    + "at most the feed line's capacity (seeds/004 §7.2, §7.3): \(keys) must be equal and between 6 and "
                    + "\(ParameterValue.decimal(capacity)) A (\(feedLineCapacity)); they would be \(given) A")
    }
}
