#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint

/// Who may read `/metrics` (issue 30 item 1). Prometheus scrapes with a bearer token of its own, set in the parameter
/// `MetricsToken`; the endpoint is off (404, as if it did not exist) until `MetricsEnabled` is on and that token is
/// set, so enabling it without a token exposes nothing.
///
/// The local API's token is never accepted here: it acts as installer and may change settings, while a scraper only
/// reads, and its token sits in Prometheus' configuration on another machine. Keeping them apart means a leaked
/// scrape configuration cannot change the station.
public struct MetricsAccess: Sendable, Equatable {
    /// Parameter `MetricsEnabled`.
    public var enabled: Bool
    /// Parameter `MetricsToken` (secret).
    public var token: String

    public init(enabled: Bool, token: String) { self.enabled = enabled; self.token = token }

    /// What a request gets.
    public enum Decision: Sendable, Equatable {
        /// Metrics are off (or no token is set): 404.
        case off
        /// Missing or wrong bearer token: 401 with `WWW-Authenticate: Bearer`.
        case unauthorized
        /// The exposition text.
        case allowed
    }

    /// Decides on a request's `Authorization` header value.
    public func decide(authorization: String?) -> Decision {
        guard enabled, !token.isEmpty else { return .off }
        guard let header = authorization, header.hasPrefix("Bearer ") else { return .unauthorized }
        return Self.constantTimeEqual(String(header.dropFirst(7)), token) ? .allowed : .unauthorized
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// What a scrape reads from the running station: its status snapshot and the few facts that are not in it.
public struct StationMetricsInput: Sendable {
    public var snapshot: StationSnapshot
    /// When the oldest transaction message still waiting for the backend was queued (nil: none queued, or no backend).
    public var oldestQueuedTransactionMessageAt: Date?

    public init(snapshot: StationSnapshot, oldestQueuedTransactionMessageAt: Date?) {
        self.snapshot = snapshot; self.oldestQueuedTransactionMessageAt = oldestQueuedTransactionMessageAt
    }
}

/// What `/metrics` serves, whatever the role: who may read it and the exposition text of this moment. The station
/// (``StationMetricsSource``) and the gateway (``GatewayMetricsSource``) implement it; the route is one for both.
public protocol MetricsSource: Sendable {
    /// The role's metrics switch and token, read at each request (a change takes effect at once).
    func metricsAccess() async -> MetricsAccess
    /// The exposition text (Prometheus text format 0.0.4).
    func metricsExposition() async -> String
}

/// The running station as the metrics endpoint sees it (implemented by the station's runtime).
public protocol StationMetricsSource: MetricsSource {
    /// Parameters `MetricsEnabled` and `MetricsToken`, read at each request (a change takes effect at once).
    func metricsAccess() async -> MetricsAccess
    func metricsInput() async -> StationMetricsInput
    /// The counters the station increments where events happen.
    var metrics: StationMetrics { get }
}

extension StationMetricsSource {
    public func metricsExposition() async -> String { metrics.exposition(await metricsInput(), process: .current()) }
}
