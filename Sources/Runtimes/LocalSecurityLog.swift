#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Logging
import ChargePoint
import EVSECore
import Gateway

/// Writes local security events (``LocalSecurityEvent``: logins, password changes and resets, configuration changes,
/// firmware, certificates; issue 23 item 7) into the security log of the station's or the gateway's database, and into
/// the process log. This is the one call for every part that has such an event:
///
///     runtime.localSecurityLog.record(.certificateChanged, "web server certificate uploaded by installer")
///
/// A techInfo names what happened and who did it, never a secret (parameter names, not values). Writing is synchronous
/// and safe from any task (the store is Sendable); a failed write is logged and never stops the caller.
public struct LocalSecurityLog: Sendable {
    let store: any LocalSecurityLogStore
    let logger: Logger
    let now: @Sendable () -> Date

    public init(store: any LocalSecurityLogStore, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store; self.logger = logger; self.now = now
    }

    public func record(_ event: LocalSecurityEvent, _ techInfo: String) {
        let info = LogText.escape(String(techInfo.prefix(SecurityLogPolicy.techInfoMaxCharacters)))
        logger.notice("security log: \(event.rawValue): \(info)")
        do {
            try store.recordLocalSecurityEvent(event, techInfo: info, at: now())
        } catch {
            logger.error("recording the security event \(event.rawValue) failed: \(error)")
        }
    }
}

/// Which of the gateway's settings a save changed, by name (the stored JSON's keys: the `GatewaySettings` properties),
/// for the security log's ConfigurationChanged; values are never compared in the open or shown.
public enum GatewaySettingsChanges {
    public static func names(from old: GatewaySettings, to new: GatewaySettings) -> [String] {
        func fields(_ s: GatewaySettings) -> [String: JSONValue] {
            guard let data = try? JSONEncoder().encode(s) else { return [:] }
            return (try? JSONDecoder().decode([String: JSONValue].self, from: data)) ?? [:]
        }
        let a = fields(old), b = fields(new)
        return Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}
