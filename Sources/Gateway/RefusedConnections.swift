#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Connection attempts the gateway refused since the last tick, collected on the network threads and written to the
/// OCPP scan list and the log once per tick (seeds/003 §2.2 step 4b "OCPP SCAN").
///
/// Bounded in count and in bytes: a flood of connections with made-up ChargerIDs (issue #20 item 6: 3,000 in 6 s grew
/// the database from 0.2 to 30 MB) keeps at most ``capacity`` distinct ChargerIDs of at most 48 characters
/// (``GatewaySettings/chargerIDProblem(_:)``); further attempts are only counted. The scan list itself keeps the
/// ``scanListCapacity`` most recently seen ChargerIDs.
public struct RefusedConnections: Sendable {
    /// Why a connection was refused.
    public enum Cause: Sendable, Equatable {
        /// The ChargerID is not configured (HTTP 404); it belongs in the OCPP scan list.
        case unknown
        /// The ChargerID is connected already (HTTP 409): the open connection stays until it is gone.
        case alreadyConnected
        /// The charger's credentials were refused (HTTP 401 or 403; OCPP 1.6 security whitepaper ed. 3 §2): wrong
        /// password, no or a wrong client certificate — the reason as the scan list shows it.
        case credentials(String)

        /// What the OCPP scan list shows (nil for an unknown ChargerID, the scan's original entry).
        public var scanReason: String? {
            if case .credentials(let reason) = self { return reason }
            return nil
        }

        /// Listed in the OCPP scan.
        public var isScanned: Bool { self != .alreadyConnected }
    }

    /// Refused attempts of one ChargerID.
    public struct Attempt: Sendable, Equatable {
        public var id: String
        public var cause: Cause
        public var remoteAddress: String?
        public var firstAt: Date
        public var lastAt: Date
        public var count: Int

        public init(id: String, cause: Cause, remoteAddress: String?, firstAt: Date, lastAt: Date, count: Int) {
            self.id = id; self.cause = cause; self.remoteAddress = remoteAddress; self.firstAt = firstAt; self.lastAt = lastAt; self.count = count
        }
    }

    /// Distinct ChargerIDs kept between two ticks.
    public static let capacity = 100
    /// ChargerIDs the OCPP scan list keeps, the most recently seen first (the Chargers page shows them all).
    public static let scanListCapacity = 100

    private var byID: [String: Attempt] = [:]
    private var order: [String] = []
    /// Attempts not kept: beyond ``capacity`` or with a ChargerID that could never be configured.
    public private(set) var uncounted = 0

    public init() {}

    public var isEmpty: Bool { order.isEmpty && uncounted == 0 }

    /// Records one refused attempt.
    public mutating func record(_ id: String, _ cause: Cause, remoteAddress: String?, at: Date) {
        if var a = byID[id] {
            a.count += 1
            a.lastAt = at
            a.cause = cause
            a.remoteAddress = remoteAddress
            byID[id] = a
        } else if order.count < Self.capacity, GatewaySettings.chargerIDProblem(id) == nil {
            byID[id] = Attempt(id: id, cause: cause, remoteAddress: remoteAddress, firstAt: at, lastAt: at, count: 1)
            order.append(id)
        } else {
            uncounted += 1
        }
    }

    /// The attempts in the order their ChargerIDs were first refused, and how many were not kept; empties the buffer.
    public mutating func drain() -> (attempts: [Attempt], uncounted: Int) {
        defer { self = RefusedConnections() }
        return (order.compactMap { byID[$0] }, uncounted)
    }

    /// The log entries of drained attempts: one per cause, naming at most `names` ChargerIDs.
    public static func logEntries(_ attempts: [Attempt], uncounted: Int, names: Int = 10) -> [GatewayLogEntry] {
        var entries: [GatewayLogEntry] = []
        func list(_ a: [Attempt]) -> String {
            let shown = a.prefix(names).map { "\($0.id)" + ($0.count > 1 ? " ×\($0.count)" : "") + ($0.remoteAddress.map { " from \($0)" } ?? "") }
            return shown.joined(separator: ", ") + (a.count > names ? " and \(a.count - names) more" : "")
        }
        let unknown = attempts.filter { $0.cause == .unknown }
        if !unknown.isEmpty || uncounted > 0 {
            var message = unknown.isEmpty ? "" : "unknown ChargerID refused (listed in the OCPP scan): " + list(unknown)
            if uncounted > 0 { message += (message.isEmpty ? "" : "; ") + "\(uncounted) more connection attempt(s) refused and not listed" }
            entries.append(GatewayLogEntry(.warning, nil, message))
        }
        for a in attempts {
            guard case .credentials(let reason) = a.cause else { continue }
            entries.append(GatewayLogEntry(.warning, a.id, "connection refused: \(reason) (\(a.count)×" + (a.remoteAddress.map { ", from \($0)" } ?? "")
                + "); listed in the OCPP scan"))
        }
        for a in attempts where a.cause == .alreadyConnected {
            entries.append(GatewayLogEntry(.warning, a.id, "a second connection with this ChargerID was refused (\(a.count)×"
                + (a.remoteAddress.map { ", from \($0)" } ?? "") + "); the open connection stays until it is gone"))
        }
        return entries
    }
}
