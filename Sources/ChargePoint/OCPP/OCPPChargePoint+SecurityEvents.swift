import OCPP16

extension OCPPChargePoint {
    /// Raises a security event of the OCPP 1.6 security whitepaper (edition 3, §8, use case A04): every handler that
    /// detects one calls this, and the runtime hands its own through ``Event/securityEvent(_:techInfo:)``.
    ///
    /// For now the event is logged; the durable security log and SecurityEventNotification (A04.FR.02: critical events
    /// delivered with guaranteed delivery) take it from here.
    mutating func securityEvent(_ type: SecurityEventType, techInfo: String?, _ env: inout OCPPEnvironment) {
        let info = techInfo.map { ": \(String($0.prefix(255)))" } ?? ""
        out.append(.log(type.critical ? .warning : .notice, "security event \(type.rawValue)\(info)"))
    }
}
