import FoundationEssentials
import Gateway

/// The JSON bodies of the gateway's API: what the pages show (``DiagnosticPage``, ``FramesPage``, ``ChargersPage``,
/// ``SignalsPage``) as data rather than text, with the Gateway target's types kept free of encoding concerns.
/// Described in `Resources/gateway-openapi.json`.
extension GatewayAPI {
    /// `GET /api/status`.
    struct StatusView: Encodable {
        var version: String
        /// Whether the gateway services (OCPP server, Modbus TCP and RTU) run.
        var running: Bool
        /// Why they do not, if they do not.
        var failure: String?
        var mode: String
        var startedAt: Date?
        var chargersConfigured: Int
        var chargersConnected: Int?
    }

    /// `GET /api/diagnostics`: the Diagnostic page (seeds/003 §2.2 step 8, "the communication status in both sides").
    struct DiagnosticsView: Encodable {
        var running: Bool
        var failure: String?
        var mode: String?
        var startedAt: Date?
        var now: Date?
        /// The gateway clock the BMS may have set (seeds/003 §2.3.1.1).
        var gatewayTime: Date?
        var ocppPort: Int?
        var modbusTCPPort: Int?
        var bms: BMSView?
        var modbus: ModbusView?
        var chargers: [ChargerView]?
        var moreUnconfigured: Int?
        /// Newest first.
        var events: [EventView]?

        init(running: Bool, failure: String?) { self.running = running; self.failure = failure }

        init(_ d: GatewayDiagnostics) {
            running = true
            mode = d.settings.mode.rawValue
            startedAt = d.startedAt; now = d.now; gatewayTime = d.gatewayTime
            ocppPort = d.ocppPort; modbusTCPPort = d.modbusTCPPort
            bms = BMSView(online: d.bmsOnline, lastHeartbeat: d.lastBMSHeartbeat)
            modbus = ModbusView(requests: d.modbus.requests, exceptions: d.modbus.exceptions, last: d.modbus.last.map(RequestView.init),
                                lastException: d.modbus.lastException.map(RequestView.init))
            chargers = d.chargers.map(ChargerView.init)
            moreUnconfigured = d.moreUnconfigured
            events = d.events.map { EventView(at: $0.at, level: $0.entry.level.rawValue, charger: $0.entry.charger, message: $0.entry.message) }
        }
    }

    struct BMSView: Encodable {
        /// Whether the BMS set the Heartbeat register within its timeout; absent: it never did.
        var online: Bool?
        var lastHeartbeat: Date?
    }

    struct ModbusView: Encodable {
        var requests: Int
        var exceptions: Int
        var last: RequestView?
        var lastException: RequestView?
    }

    struct RequestView: Encodable {
        var at: Date
        var transport: String
        var unitID: Int
        var function: Int
        var address: Int
        var quantity: Int
        var exception: Int?
        var reason: String?

        init(_ r: ModbusActivity.Request) {
            at = r.at; transport = r.transport.rawValue; unitID = Int(r.unitID); function = Int(r.function); address = r.address
            quantity = r.quantity; exception = r.exception.map(Int.init); reason = r.reason
        }
    }

    struct ChargerView: Encodable {
        var id: String
        var slot: Int?
        var connectors: Int
        var connected: Bool
        var connectedSince: Date?
        var upstream: String?
        var callsToCentral: Int
        var callsDropped: Int
        var requestsWaiting: Int
        var operationsWaiting: Int

        init(_ c: ChargerStatus) {
            id = c.id; slot = c.slot; connectors = c.connectors; connected = c.connectedSince != nil; connectedSince = c.connectedSince
            upstream = c.upstream?.rawValue; callsToCentral = c.callsToCentral; callsDropped = c.callsDropped; requestsWaiting = c.requestsWaiting; operationsWaiting = c.operationsWaiting
        }
    }

    struct EventView: Encodable {
        var at: Date
        var level: String
        var charger: String?
        var message: String
    }

    /// One frame of `GET /api/chargers/{id}/frames` (newest first).
    struct FrameView: Encodable {
        var at: Date
        var direction: String
        var text: String
        var omittedCharacters: Int

        init(_ f: FrameRecord) { at = f.at; direction = f.direction.rawValue; text = f.text; omittedCharacters = f.omittedCharacters }
    }

    /// `GET /api/chargers` and the answer of a change of the list.
    /// A charger as the API shows it: never its password or its hash, only whether one is set (write-only).
    struct ChargerEntryView: Encodable {
        var id: String
        var slot: Int
        var connectors: Int
        var passwordSet: Bool
        init(_ c: ChargerEntry) { id = c.id; slot = c.slot; connectors = c.connectors; passwordSet = c.passwordHash != nil }
    }

    struct ChargersView: Encodable {
        var chargers: [ChargerEntryView]
        var freeSlots: [Int]
        var maximumChargers = RegisterLayout.maximumChargers
        var maximumConnectors = RegisterLayout.maximumConnectors
        var changed: Bool?

        init(_ settings: GatewaySettings, changed: Bool? = nil) {
            chargers = settings.chargers.sorted { $0.slot < $1.slot }.map(ChargerEntryView.init)
            let used = Set(settings.chargers.map(\.slot))
            freeSlots = (0..<RegisterLayout.maximumChargers).filter { !used.contains($0) }
            self.changed = changed
        }
    }

    /// `PUT /api/chargers`: the whole list; `password` is write-only (left out: the stored hash of the ChargerID stays;
    /// empty: removed). A `passwordHash` in the body is ignored: only a password sets one.
    struct ChargersBody: Decodable, Sendable {
        struct Entry: Decodable, Sendable {
            var id: String
            var slot: Int
            var connectors: Int
            var password: String?

            enum CodingKeys: String, CodingKey { case id, slot, connectors, password }

            /// A `password` that is present must be text: `null` is refused, not read as "keep the stored one".
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                id = try c.decode(String.self, forKey: .id)
                slot = try c.decode(Int.self, forKey: .slot)
                connectors = try c.decode(Int.self, forKey: .connectors)
                if c.contains(.password) { password = try c.decode(String.self, forKey: .password) }
            }
        }
        var chargers: [Entry]
    }

    struct AcceptBody: Decodable, Sendable {
        var connectors: Int?
    }

    struct Dismissed: Encodable { var dismissed: String }

    /// `GET /api/signals`: the Signals page's rows, every scope at once (the CSV's columns).
    struct SignalsView: Encodable {
        struct Row: Encodable {
            var address: Int
            var lastAddress: Int
            var registers: Int
            var owner: String
            var signal: String
            var format: String
            var access: String
            var on: Bool
        }

        var signals: [Row]
        /// The first register addresses of the signals switched off.
        var off: [Int]
        var changed: Bool?

        init(_ settings: GatewaySettings, changed: Bool? = nil) {
            signals = settings.signalRows.map { r in
                Row(address: r.address, lastAddress: r.address + r.registers - 1, registers: r.registers, owner: r.owner, signal: r.name,
                    format: r.format, access: r.access, on: r.on)
            }
            off = settings.signalsOff
            self.changed = changed
        }
    }

    struct SignalsBody: Decodable, Sendable {
        var off: [Int]
    }

    struct Imported: Encodable {
        var imported: Bool
        var changed: Bool
    }
}
