#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Load management of a single station with an external (grid) meter and no DLM role, as seeds/000 "Externen Zähler
/// einbinden" promises: External Meter Support On, the meter's model and address, the Main Distribution Limit of the
/// house connection, the headroom, the fallback and the topology — and nothing about DLM roles. The station divides
/// what the house connection leaves among its own connectors:
///
/// available per grid phase = Main Distribution Limit − External Load Headroom − non-EV load, where the non-EV load is
/// the meter's current minus the station's own measured draw ("Inklusive Ladestations-Unterverteilung"), the meter's
/// current ("Ohne …"), or External Load Fallback while the meter does not answer (seeds/000: 9999 switches every
/// charge point off; 20 A reduces the limit by 20 A).
///
/// The division is the DLM allocation's (``DLM/allocate(site:chargePoints:now:)`` through a ``DLMCycle``): phases and
/// phase rotation, minimum current, fair rotation, self-limiting vehicles, IT network and imbalance prevention work as
/// they do for a DLM master. It runs every "DLM Algorithm Sample Rate" and at once when an input changes (a meter
/// reading, a failure, a plug-in). A station that is a DLM master leaves this to its master role.
public struct MeterLoadManagement: Sendable, Equatable {
    /// What the station must do.
    public enum Action: Sendable, Equatable {
        /// Load management of the house connection started, or the meter stopped or resumed answering (the event
        /// log's "current limit changed"). A reading that moves the available current is not logged: the house load
        /// changes every poll; the connectors' limit changes are logged by their chains.
        case availableChanged(String)
        /// The limit of the station's connector `connector` (1-based) from the house connection.
        case limit(connector: Int, amps: Double)
    }

    /// The allocation cycle over the station's connectors.
    public private(set) var cycle = DLMCycle()
    /// Whether the last allocation ran on External Load Fallback (nil before the first).
    public private(set) var onFallback: Bool?

    public init() {}

    /// A control step: allocates `site` among the station's `connectors` (charge points "local/<n>", in connector
    /// order) when due or when an input changed, and returns every connector's limit.
    public mutating func step(site: DLMSite, connectors: [DLMChargePoint], sampleSeconds: Double, now: Date) -> [Action] {
        var out: [Action] = []
        if cycle.runIfDue(site: site, points: cycle.carryingOver(connectors), sampleSeconds: sampleSeconds, now: now),
           let result = cycle.allocation {
            let failing = site.externalMeter.map { $0.readingAmps == nil } ?? false
            if failing != onFallback {
                let available = DLMMaster.phaseText(result.availableAmps)
                out.append(.availableChanged(failing
                    ? "External meter: no reading, External Load Fallback applies: \(available) A per phase left for the vehicles"
                    : "External meter: the house connection leaves \(available) A per phase for the vehicles"))
                onFallback = failing
            }
        }
        let grants = cycle.allocation?.grants ?? []
        for i in connectors.indices {
            out.append(.limit(connector: i + 1, amps: grants.indices.contains(i) ? grants[i].amps : 0))
        }
        return out
    }

    /// The wall clock was stepped: the cycle's times keep their distance from now.
    public mutating func shiftTimers(by seconds: Double) { cycle.shiftTimers(by: seconds) }
}

extension DLMSettings {
    /// The site of a single station with an external meter and DLM off (seeds/000 "Externen Zähler einbinden"): the
    /// house connection — Main Distribution Limit, External Load Headroom, External Load Fallback, External Meter
    /// Location — with `meterReading` (nil: the meter does not answer). The EVSE Sub-Distribution Limits and the DLM
    /// load shedding offset belong to a DLM network and do not apply (each connector keeps its own installation and
    /// operator limits, and local load shedding stays in its chain); IT Network, Current Imbalance Prevention and the
    /// rotation interval describe the grid and the fairness rule and do.
    public func houseConnectionSite(meterReading: PhaseValues?) -> DLMSite {
        DLMSite(subDistributionLimitAmps: mainDistributionLimitAmps, operatorSubDistributionLimitAmps: mainDistributionLimitAmps,
                externalMeter: DLMExternalMeter(mainDistributionLimitAmps: mainDistributionLimitAmps, headroomAmps: headroomAmps,
                                                fallbackAmps: fallbackAmps, location: meterLocation, readingAmps: meterReading),
                loadSheddingOffsetAmps: nil, imbalanceLimitAmps: imbalanceLimitAmps, itNetwork: itNetwork,
                rotationIntervalSeconds: rotationIntervalSeconds)
    }
}
