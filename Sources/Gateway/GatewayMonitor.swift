#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP

/// What the diagnostics page shows besides the central system's own state, recorded as it happens (seeds/003 §2.2
/// step 8, "the communication status in both sides"): the configured chargers' newest frames, what the gateway logged
/// and the BMS's Modbus requests, bounded (``FrameLog``, ``EventLog``, ``ModbusActivity``).
public struct GatewayMonitor: Sendable {
    /// When the gateway services (re)started.
    public let startedAt: Date
    /// Chargers whose frames are kept: the configured ones (see ``FrameLog``).
    let configured: Set<String>
    public private(set) var frames = FrameLog()
    public private(set) var events = EventLog()
    public private(set) var modbusActivity = ModbusActivity()

    public init(settings: GatewaySettings, startedAt: Date) {
        self.startedAt = startedAt
        configured = Set(settings.chargers.map(\.id))
    }

    /// Keeps a configured charger's frame; chargers accepted without being configured have none.
    public mutating func recordFrame(_ charger: String, _ direction: FrameRecord.Direction, _ text: String, at: Date) {
        if configured.contains(charger) { frames.record(charger, direction, text, at: at) }
    }

    public mutating func recordEvent(_ entry: GatewayLogEntry, at: Date) { events.record(entry, at: at) }

    public mutating func recordModbus(_ request: ModbusRequest, unitID: UInt8, via transport: ModbusActivity.Transport, refusal: ModbusRefusal?,
                                      at: Date) {
        modbusActivity.record(request, unitID: unitID, via: transport, refusal: refusal, at: at)
    }

    /// Everything the diagnostics page shows at `now`: both sides' communication state, the frames of the chargers
    /// shown, the events newest first.
    public func diagnostics(_ central: CentralSystem, now: Date) -> GatewayDiagnostics {
        let (chargers, more) = central.chargerStatuses()
        var d = GatewayDiagnostics(
            settings: central.settings, startedAt: startedAt, now: now, gatewayTime: central.gatewayTime(now), bmsOnline: central.bmsOnline(now: now),
            lastBMSHeartbeat: central.lastBMSHeartbeat, modbus: modbusActivity, chargers: chargers, moreUnconfigured: more,
            frames: Dictionary(uniqueKeysWithValues: chargers.map { ($0.id, frames.frames($0.id)) }), events: events.events.reversed())
        d.openTransactions = central.openTransactionCount
        return d
    }
}
