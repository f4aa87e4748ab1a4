#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP
import OCPP16

/// Operations of an operator outside the BMS (the MQTT client's commands), through the same path as the BMS's
/// "Messages from CS" (seeds/003 Appendix 1): the same checks, the same one-CALL-at-a-time queue per charger, the same
/// registers raised while the operation runs and its result written back — so the BMS sees what is going on and an
/// operation the BMS has running refuses a second one of its kind. The charger's answer comes back as
/// ``GatewayAction/operatorAnswer(replyTo:error:)``. Only what the BMS may do (availability, remote start with an idTag,
/// remote stop); refused in External mode, where the external central system operates the chargers.
extension CentralSystem {
    /// The state the MQTT client publishes: every configured charger (in slot order) from its registers, and the
    /// connected chargers accepted without configuration (their connection only: they have no registers). Asked every
    /// 500 ms on the runtime's actor, so it costs the configured chargers' (at most 20) and not the connected ones':
    /// those come as the table's ordered list, shared, not copied.
    public func operatorState() -> GatewayMQTTState {
        var out: [GatewayMQTTState.Charger] = []
        for entry in settings.chargers.sorted(by: { $0.slot < $1.slot }) {
            let slot = entry.slot
            let connectors = (1...max(1, entry.connectors)).map { n in
                func measured(_ m: Measurement, _ scale: [UInt16: Double]) -> Double? {
                    let unit = UInt16(truncatingIfNeeded: image.integer(.connector(slot: slot, connector: n, .units(m))))
                    guard let factor = scale[unit], case .float(let v) = image.value(.connector(slot: slot, connector: n, .value(m, phase: 0))),
                          v.isFinite else { return nil }
                    return v * factor
                }
                let status = image.integer(.connector(slot: slot, connector: n, .status))
                return GatewayMQTTState.Connector(
                    number: n, status: ConnectorStatusCode.names.indices.contains(status) ? ConnectorStatusCode.names[status] : "Unknown",
                    available: image.integer(.connector(slot: slot, connector: n, .availability)) != 0,
                    powerW: measured(.powerActiveImport, [4: 1, 5: 1000]), energyWh: measured(.energyActiveImportRegister, [0: 1, 1: 1000]),
                    currentOfferedA: measured(.currentOffered, [10: 1]),
                    transactionActive: openTransactions.transaction(charger: entry.id, connector: n) != nil)
            }
            out.append(.init(id: entry.id, online: isConnected(entry.id), connectors: connectors))
        }
        return GatewayMQTTState(chargers: out, unconfigured: chargers.unconfigured)
    }

    /// Carries out an operator's command: checked as the BMS's operation would be, then queued for the charger. The
    /// answer comes with the charger's (``GatewayAction/operatorAnswer(replyTo:error:)`` with `replyTo`); a command that
    /// cannot be carried out fails at once with a message naming the field and what is allowed.
    public mutating func operatorCommand(_ id: String, _ command: GatewayOperatorCommand, replyTo: String,
                                         now: Date) -> Result<[GatewayAction], GatewayCommandError> {
        guard settings.mode == .bms else {
            return .failure(GatewayCommandError("commands are refused in External mode: the external central system operates the chargers"))
        }
        guard let c = chargers[id] else {
            return .failure(GatewayCommandError("charger: '\(id)' is not known to the gateway; allowed are the configured ChargerIDs and connected chargers"))
        }
        guard c.connection != nil else { return .failure(GatewayCommandError("charger \(id) is not connected")) }
        let slot = c.entry.slot, connectors = c.entry.connectors
        var op: Operation
        var flagValue = 1
        switch command {
        case .availability(let n, let operative):
            guard (0...connectors).contains(n) else {
                return .failure(GatewayCommandError("connector: '\(n)' is not allowed; allowed is 0–\(connectors) (0: the charger as a whole)"))
            }
            flagValue = operative ? 1 : 0
            op = Operation(kind: .availability(connector: n, previous: image.integer(.connector(slot: slot, connector: n, .availability))),
                           action: ChangeAvailabilityRequest.action,
                           payload: OCPPCoding.encode(ChangeAvailabilityRequest(connectorId: n, type: operative ? .operative : .inoperative)))
        case .remoteStart(let n, let idTag):
            guard (0...connectors).contains(n) else {
                return .failure(GatewayCommandError("connector: '\(n)' is not allowed; allowed is 0–\(connectors) (0: the charger chooses)"))
            }
            op = Operation(kind: .remoteStart, action: RemoteStartTransactionRequest.action,
                           payload: OCPPCoding.encode(RemoteStartTransactionRequest(connectorId: n > 0 ? n : nil, idTag: idTag)))
        case .remoteStop(let n):
            guard (1...connectors).contains(n) else {
                return .failure(GatewayCommandError("connector: '\(n)' is not allowed; allowed is 1–\(connectors)"))
            }
            guard let open = openTransactions.transaction(charger: id, connector: n) else {
                return .failure(GatewayCommandError("connector \(n) of \(id) has no transaction to stop"))
            }
            op = Operation(kind: .remoteStop, action: RemoteStopTransactionRequest.action,
                           payload: OCPPCoding.encode(RemoteStopTransactionRequest(transactionId: open.transactionId)))
        }
        guard !c.outgoing.contains(where: { $0.kind.flag(slot: slot) == op.kind.flag(slot: slot) }) else {
            return .failure(GatewayCommandError("the previous \(op.action) of \(id) is still running; try again when it is answered"))
        }
        op.replyTo = replyTo
        chargers[id]?.outgoing.append(op)
        image.set(op.kind.flag(slot: slot), flagValue)
        return .success([.log(.init(.info, id, "\(op.action) requested over MQTT"))] + sendNext(id, now: now))
    }

    /// The operator's answer once the charger answered an operation of theirs (or did not): nothing for the BMS's
    /// operations. Accepted (and Scheduled, for an availability change after the running transaction) is success.
    func operatorAnswer(_ op: Operation, charger id: String, status: String? = nil, failure: String? = nil) -> [GatewayAction] {
        guard let replyTo = op.replyTo else { return [] }
        if let failure { return [.operatorAnswer(replyTo: replyTo, error: "\(id) did not carry out \(op.action): \(failure)")] }
        if let status, status != "Accepted", status != "Scheduled" {
            return [.operatorAnswer(replyTo: replyTo, error: "\(id) answered \(op.action) with \(status)")]
        }
        return [.operatorAnswer(replyTo: replyTo, error: nil)]
    }
}
