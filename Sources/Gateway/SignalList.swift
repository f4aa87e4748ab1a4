import ModbusTCP

/// One row of the gateway's signal list: the vendor tool's "Signals" tab (seeds/003 §2.2 step 6) — every signal of
/// the register map with its address, type, access and whether it is switched on — and the CSV exported from it for
/// the BMS engineering.
public struct SignalRow: Sendable, Equatable {
    public var signal: SignalAddress
    /// First register.
    public var address: Int
    public var registers: Int
    /// The seed's name.
    public var name: String
    /// Whose signal: "Gateway", a ChargerID, or "<ChargerID> connector <yy>".
    public var owner: String
    /// The seed's Format column: Integer, String, Float, DateTime.
    public var format: String
    /// The seed's R/RW/W column, seen from the BMS.
    public var access: String
    /// Off: the signal answers as "Not used" (reads 0, writes answer exception 02).
    public var on: Bool

    /// The register range as text: "65" or "65…74".
    public var addresses: String { registers == 1 ? "\(address)" : "\(address)…\(address + registers - 1)" }
}

extension GatewaySettings {
    /// Every signal of the register map for the configured chargers and mode, in address order.
    public var signalRows: [SignalRow] {
        let layout = RegisterLayout(mode: mode, connectors: connectorsBySlot)
        let off = Set(signalsOff)
        let ids = Dictionary(uniqueKeysWithValues: chargers.map { ($0.slot, $0.id) })
        return layout.signals.sorted { $0.address < $1.address }.map { s in
            let spec = s.spec
            let owner = switch s {
            case .system: "Gateway"
            case .charger(let xx, _): ids[xx] ?? "slot \(xx)"
            case .connector(let xx, let yy, _): "\(ids[xx] ?? "slot \(xx)") connector \(yy)"
            }
            let format = switch spec.format {
            case .integer, .signedInteger: "Integer"
            case .string: "String"
            case .float: "Float"
            case .dateTime: "DateTime"
            }
            let access = switch spec.access {
            case .read: "R"
            case .write: "W"
            case .readWrite: "RW"
            }
            return SignalRow(signal: s, address: s.address, registers: spec.format.registerCount, name: spec.name, owner: owner,
                             format: format, access: access, on: !off.contains(s.address))
        }
    }
}
