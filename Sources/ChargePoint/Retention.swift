#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization

/// How much of what grows with every event the station keeps. Each table that gains rows while the station runs has a
/// bound or a retention, so that a busy station's database stays the same size year after year (issue #20 item 6: the
/// meter samples alone grew by about 0.8 GB a year for a busy two-connector station).
///
/// | table | kept | why |
/// |---|---|---|
/// | meter samples | ``meterSampleMaxAgeSeconds`` (parameter `MeterSampleRetentionDays`), at most ``meterSampleMaxRows`` | only the last sample of a running session is needed (recovery after power loss) |
/// | event log | the newest ``eventMaxRows``, messages cut at ``eventMessageMaxCharacters`` | the log download and the pages show the newest |
/// | parameter audit | the newest ``auditMaxRows`` | who changed what, recently |
/// | queued OCPP MeterValues | the newest ``queuedMeterValuesMax`` (Start/StopTransaction are never dropped) | a backend away for weeks |
/// | authorization cache | the ``authorizationCacheMaxEntries`` most recently updated | identifiers seen once in years |
/// | kept StopTransaction meter values | until the session's StopTransaction is delivered; of sessions stopped before the sample retention without a queued message, none | a stop that was never delivered |
///
/// The charging history (one row per session) is kept whole: it is what the station is for, and it grows by one row per
/// charging session. Deletions run in batches of at most ``batch`` rows per table, at every persist (5 s), so a
/// retention that was lowered catches up without a long write.
public struct RetentionPolicy: Sendable, Equatable {
    /// Meter samples older than this are deleted, except the newest sample of each running session.
    public var meterSampleMaxAgeSeconds: Double

    /// Meter samples kept at most (about 90 MB with their index: two weeks of two connectors charging around the clock).
    public static let meterSampleMaxRows = 500_000
    /// Event log entries kept.
    public static let eventMaxRows = 50_000
    /// Characters kept of one event log message (they may quote what a backend or a card sent).
    public static let eventMessageMaxCharacters = 1_000
    /// Parameter audit entries kept.
    public static let auditMaxRows = 10_000
    /// Queued transaction MeterValues kept while the backend is away; the oldest go first.
    public static let queuedMeterValuesMax = 10_000
    /// Authorization cache entries kept (one per identifier the backend answered for); the least recently updated go.
    public static let authorizationCacheMaxEntries = 10_000
    /// Rows deleted per table and pass at most.
    public static let batch = 1_000

    public init(meterSampleMaxAgeSeconds: Double) { self.meterSampleMaxAgeSeconds = meterSampleMaxAgeSeconds }

    /// The policy of the station's settings.
    public init(_ settings: StationSettings) { self.init(meterSampleMaxAgeSeconds: Double(settings.meterSampleRetentionDays) * 86_400) }
}

/// What one retention pass deleted, per table.
public struct RetentionReport: Sendable, Equatable {
    public var meterSamples = 0
    public var events = 0
    public var audit = 0
    public var transactionData = 0

    public init(meterSamples: Int = 0, events: Int = 0, audit: Int = 0, transactionData: Int = 0) {
        self.meterSamples = meterSamples; self.events = events; self.audit = audit; self.transactionData = transactionData
    }
}

extension AuthorizationLists {
    /// Puts a backend's answer into the authorization cache, keeping the retention policy's number of entries.
    public mutating func remember(_ entry: ListedIdentifier) {
        remember(entry, capacity: RetentionPolicy.authorizationCacheMaxEntries)
    }
}

extension StationController {
    /// Deletes what the retention policy no longer keeps (one bounded pass; called with every persist).
    mutating func applyRetention(now: Date) {
        do { _ = try store.applyRetention(RetentionPolicy(settings), now: now) } catch {
            notice(.storeFailed(what: "retention", error: "\(error)"))
        }
    }
}
