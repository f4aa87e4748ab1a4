#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import EVSECore
import MetricsExporter
import Persistence

/// What `/metrics` reads from the station (issue 30 item 1): the parameters that switch it, and the status snapshot
/// with the age of the oldest queued transaction message. Read at scrape time only; the counters are incremented where
/// their events happen (`metrics`).
extension StationRuntime: StationMetricsSource {
    public func metricsAccess() -> MetricsAccess {
        MetricsAccess(enabled: parameterService.values[.metricsEnabled], token: parameterService.values[.metricsToken])
    }

    public func metricsInput() -> StationMetricsInput {
        StationMetricsInput(snapshot: status(),
                            oldestQueuedTransactionMessageAt: ocpp == nil ? nil : (try? database.transactionQueueOldestCreatedAt()) ?? nil)
    }
}
