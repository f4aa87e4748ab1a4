#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The EEBUS interface as the web page and `GET /api/eebus` show it (issue 26 item 4): this station's identity, the
/// energy managers found on the LAN, the pairing (seeds/000 "Kopplungsstatus des Energiemanagers", "Kennung des
/// gekoppelten Energiemanagers"), the SHIP connections, and what the paired manager set.
public struct EEBUSInterfaceStatus: Sendable, Equatable, Encodable {
    /// seeds/000 "Kopplungsstatus des Energiemanagers": "Nicht gekoppelt" until a manager's SKI is trusted; then
    /// pairing until its SHIP connection reaches the data phase (it must trust this station too); paired while it is
    /// connected.
    public enum PairingState: String, Sendable, Equatable, Encodable {
        case notPaired, pairing, paired
    }

    public struct Pairing: Sendable, Equatable, Encodable {
        public var state: PairingState
        /// The paired manager's SKI (seeds/000 "Kennung des gekoppelten Energiemanagers").
        public var ski: String?
        /// Its brand and model as it announces them, when it was discovered.
        public var name: String?
        public init(state: PairingState, ski: String?, name: String?) {
            self.state = state
            self.ski = ski
            self.name = name
        }
    }

    /// An EEBUS device found on the LAN by DNS-SD (`_ship._tcp`, SHIP TS 1.0.1 §7.3.2 TXT record).
    public struct Manager: Sendable, Equatable, Encodable {
        public var ski: String
        public var brand: String
        public var model: String
        public var type: String
        public var id: String
        public var host: String
        public var port: Int
        public init(ski: String, brand: String, model: String, type: String, id: String, host: String, port: Int) {
            self.ski = ski
            self.brand = brand
            self.model = model
            self.type = type
            self.id = id
            self.host = host
            self.port = port
        }
    }

    /// One SHIP connection (or attempt), incoming or outgoing.
    public struct Connection: Sendable, Equatable, Encodable {
        public var ski: String
        /// `connecting`, `waitingForTrust`, `connected` or `closed`.
        public var state: String
        public var remoteAddress: String?
        public var incoming: Bool
        /// Why it ended, for a closed one.
        public var reason: String?
        public init(ski: String, state: String, remoteAddress: String?, incoming: Bool, reason: String? = nil) {
            self.ski = ski
            self.state = state
            self.remoteAddress = remoteAddress
            self.incoming = incoming
            self.reason = reason
        }
    }

    /// The grid operator's limit (LPC) as it stands.
    public struct LPC: Sendable, Equatable, Encodable {
        /// The use case's state: `init`, `unlimitedControlled`, `limited`, `failsafe`, `unlimitedAutonomous`.
        public var state: String
        /// The active power consumption limit in force, W (nil: none).
        public var limitW: Double?
        /// When the written limit's duration ends (nil: no end).
        public var limitEndsAt: Date?
        public var failsafeLimitW: Double?
        public var failsafeDurationMinimumS: Double?
        /// Seconds since the manager's last heartbeat (nil: none yet).
        public var heartbeatAgeS: Double?
        public init(state: String, limitW: Double?, limitEndsAt: Date?, failsafeLimitW: Double?, failsafeDurationMinimumS: Double?, heartbeatAgeS: Double?) {
            self.state = state
            self.limitW = limitW
            self.limitEndsAt = limitEndsAt
            self.failsafeLimitW = failsafeLimitW
            self.failsafeDurationMinimumS = failsafeDurationMinimumS
            self.heartbeatAgeS = heartbeatAgeS
        }
    }

    /// What the manager asks of one connector: OPEV's obligation and OSCEV's recommendation per phase (A), and the
    /// current the EEBUS limit amounts to with why.
    public struct ConnectorLimits: Sendable, Equatable, Encodable {
        public var connector: Int
        public var obligationAmps: [Double]?
        public var recommendationAmps: [Double]?
        /// The EEBUS entry of the connector's limit chain, A (nil: EEBUS does not limit it).
        public var limitAmps: Double?
        public var reason: String?
        public init(connector: Int, obligationAmps: [Double]?, recommendationAmps: [Double]?, limitAmps: Double?, reason: String?) {
            self.connector = connector
            self.obligationAmps = obligationAmps
            self.recommendationAmps = recommendationAmps
            self.limitAmps = limitAmps
            self.reason = reason
        }
    }

    public var enabled: Bool
    /// This station's SKI (its SHIP certificate's Subject Key Identifier), nil while the interface is off.
    public var ski: String?
    public var shipId: String?
    public var port: Int?
    public var pairing: Pairing
    public var discovered: [Manager]
    public var connections: [Connection]
    /// SKIs of managers that connected without being trusted and wait for the user ("pair" on the web page).
    public var trustRequests: [String]
    public var lpc: LPC?
    public var connectors: [ConnectorLimits]

    public init(enabled: Bool, ski: String? = nil, shipId: String? = nil, port: Int? = nil,
                pairing: Pairing = Pairing(state: .notPaired, ski: nil, name: nil), discovered: [Manager] = [],
                connections: [Connection] = [], trustRequests: [String] = [], lpc: LPC? = nil, connectors: [ConnectorLimits] = []) {
        self.enabled = enabled
        self.ski = ski
        self.shipId = shipId
        self.port = port
        self.pairing = pairing
        self.discovered = discovered
        self.connections = connections
        self.trustRequests = trustRequests
        self.lpc = lpc
        self.connectors = connectors
    }
}
