#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EVSECore

/// Where a DLM station is reached on the LAN (UDP).
public struct DLMEndpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// "host" or "host:port" (an IPv4 address or a name); `defaultPort` when the port is missing.
    public init?(parsing text: String, defaultPort: Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else { return nil }
        host = String(parts[0])
        if parts.count == 2 {
            guard let p = Int(parts[1]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            port = defaultPort
        }
    }

    public var description: String { "\(host):\(port)" }
}

/// The master's presence on the LAN, broadcast every ``DLMLink/announceIntervalSeconds`` unless "Disable Discovery
/// Broadcasting" is on (seeds/004 §7.4). A slave in Master-Auto-Discovery follows the first master of its DLM Network Id.
public struct DLMAnnounce: Sendable, Codable, Equatable {
    /// "DLM Algorithm Sample Rate" of the master [s]: slaves report at least this often.
    public var sampleSeconds: Double
    /// Whether the master also drives connectors of its own (with internal DLM-Slave) or none (standalone).
    public var standalone: Bool

    public init(sampleSeconds: Double, standalone: Bool) { self.sampleSeconds = sampleSeconds; self.standalone = standalone }
}

/// One connector of a slave as it reports it to the master.
public struct DLMConnectorReport: Sendable, Codable, Equatable {
    /// seeds/004 §7.8: the connector's phase rotation relative to the grid.
    public var rotation: PhaseRotation
    public var phasesConnected: Int
    /// The connector phases the vehicle draws from (nil: not yet detected).
    public var usedPhases: [Int]?
    /// A transaction runs and the vehicle may draw current.
    public var demanding: Bool
    /// The connector's own limit chain without DLM [A].
    public var maximumAmps: Double
    /// "Minimum Current Limit" [A].
    public var minimumAmps: Double
    /// Measured current per connector phase [A].
    public var measuredAmps: PhaseValues
    /// The OCPP status (for the master's dashboard).
    public var status: String

    public init(rotation: PhaseRotation, phasesConnected: Int, usedPhases: [Int]?, demanding: Bool, maximumAmps: Double, minimumAmps: Double,
                measuredAmps: PhaseValues, status: String) {
        self.rotation = rotation; self.phasesConnected = phasesConnected; self.usedPhases = usedPhases; self.demanding = demanding
        self.maximumAmps = maximumAmps; self.minimumAmps = minimumAmps; self.measuredAmps = measuredAmps; self.status = status
    }
}

/// A slave's state, sent every ``DLMLink/reportIntervalSeconds`` and at once when its demand changes.
public struct DLMReport: Sendable, Codable, Equatable {
    /// The slave's "Disconnected Limit" [A]: what each of its connectors may draw without the master.
    public var disconnectedLimitAmps: Double
    public var connectors: [DLMConnectorReport]

    public init(disconnectedLimitAmps: Double, connectors: [DLMConnectorReport]) {
        self.disconnectedLimitAmps = disconnectedLimitAmps; self.connectors = connectors
    }
}

extension DLMReport {
    /// A change the master must hear about before the next report interval: demand, phases, limits, the slave's
    /// Disconnected Limit, or a measured current that moved by a whole ampere.
    public func differsSignificantly(from old: DLMReport) -> Bool {
        guard disconnectedLimitAmps == old.disconnectedLimitAmps, connectors.count == old.connectors.count else { return true }
        return zip(connectors, old.connectors).contains { a, b in
            a.demanding != b.demanding || a.usedPhases != b.usedPhases || a.maximumAmps != b.maximumAmps || a.minimumAmps != b.minimumAmps
                || a.status != b.status || a.rotation != b.rotation || a.phasesConnected != b.phasesConnected
                || (0..<3).contains { abs(a.measuredAmps[$0] - b.measuredAmps[$0]) >= 1 }
        }
    }
}

/// The master's allocation for one slave, in the slave's connector order.
public struct DLMGrants: Sendable, Codable, Equatable {
    public var amps: [Double]
    /// How long the grants hold without a newer message: three sample periods (seeds/004 §7.7); then the slave falls
    /// back to its Disconnected Limit.
    public var validSeconds: Double

    public init(amps: [Double], validSeconds: Double) { self.amps = amps; self.validSeconds = validSeconds }
}

/// One message of the DLM link. Every datagram is `"CKDLM1"`, the HMAC-SHA256 of the JSON body under the DLM network
/// key, then the JSON body. A receiver accepts a message only when
/// - the HMAC verifies (so only stations that know the key can talk; no anchor authenticates its DLM traffic),
/// - its DLM Network Id is the receiver's,
/// - it is addressed to the receiver (reports and grants), and
/// - it is fresh: each station draws a random `epoch` at start and numbers its messages (`seq`); replies carry the
///   addressee's epoch (`peerEpoch`), and per sender only increasing numbers of its current epoch are taken
///   (see ``DLMReplayGuard``). A recorded message replayed later is refused.
public struct DLMMessage: Sendable, Codable, Equatable {
    public var version = 1
    public var network: Int
    /// The sender's station id (its ChargeBoxIdentity).
    public var from: String
    public var epoch: String
    public var seq: UInt64
    /// The addressee's station id (nil for announcements).
    public var to: String?
    /// The addressee's epoch this message answers (reports: the master's; grants: the slave's).
    public var peerEpoch: String?
    public var announce: DLMAnnounce?
    public var report: DLMReport?
    public var grants: DLMGrants?

    public init(network: Int, from: String, epoch: String, seq: UInt64, to: String? = nil, peerEpoch: String? = nil,
                announce: DLMAnnounce? = nil, report: DLMReport? = nil, grants: DLMGrants? = nil) {
        self.network = network; self.from = from; self.epoch = epoch; self.seq = seq; self.to = to; self.peerEpoch = peerEpoch
        self.announce = announce; self.report = report; self.grants = grants
    }
}

/// Why a datagram was refused (logged by the receiver; the sender gets no answer).
public enum DLMLinkRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case notDLM
    case tooLarge(Int)
    case badSignature
    case malformed(String)
    case foreignNetwork(Int)
    case notAddressedToUs(String?)
    case replayed
    case unexpected(String)

    public var description: String {
        switch self {
        case .notDLM: "not a ChargeKit DLM datagram"
        case .tooLarge(let n): "datagram of \(n) bytes is too large"
        case .badSignature: "the message is not authenticated with this DLM network key"
        case .malformed(let why): "malformed message: \(why)"
        case .foreignNetwork(let id): "message of DLM network \(id)"
        case .notAddressedToUs(let to): "message addressed to \(to ?? "nobody")"
        case .replayed: "replayed or outdated message"
        case .unexpected(let what): "unexpected \(what)"
        }
    }
}

/// The DLM link's wire format and timing (issue 7 "Roles and link").
public enum DLMLink {
    public static let magic = Array("CKDLM1".utf8)
    public static let maximumDatagramBytes = 16_384
    /// A slave reports at least this often (and at once on a change).
    public static let reportIntervalSeconds = 1.0
    /// The master announces itself this often.
    public static let announceIntervalSeconds = 2.0
    /// The most connectors one report may carry.
    public static let maximumConnectors = 16

    /// How long grants hold and how long the master waits before it treats a slave as silent: three sample periods
    /// (seeds/004 §7.7), at least three report intervals.
    public static func validitySeconds(sampleSeconds: Double) -> Double {
        max(3 * sampleSeconds, 3 * reportIntervalSeconds)
    }

    /// The datagram of a message.
    public static func seal(_ message: DLMMessage, key: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(message)) ?? Data()
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(key.utf8)))
        return magic + Array(mac) + Array(body)
    }

    /// The message of a datagram, once its HMAC verifies and it belongs to `network`.
    public static func open(_ datagram: [UInt8], key: String, network: Int) throws(DLMLinkRefusal) -> DLMMessage {
        guard datagram.count <= maximumDatagramBytes else { throw .tooLarge(datagram.count) }
        guard datagram.count > magic.count + 32, datagram.starts(with: magic) else { throw .notDLM }
        let mac = datagram[magic.count..<(magic.count + 32)]
        let body = Data(datagram[(magic.count + 32)...])
        guard HMAC<SHA256>.isValidAuthenticationCode(Data(mac), authenticating: body, using: SymmetricKey(data: Data(key.utf8))) else {
            throw .badSignature
        }
        let message: DLMMessage
        do { message = try JSONDecoder().decode(DLMMessage.self, from: body) } catch {
            throw .malformed("\(error)".prefix(200).description)
        }
        guard message.version == 1 else { throw .malformed("version \(message.version)") }
        guard message.network == network else { throw .foreignNetwork(message.network) }
        guard !message.from.isEmpty, message.from.count <= 64, !message.epoch.isEmpty, message.epoch.count <= 32 else {
            throw .malformed("sender")
        }
        if let r = message.report {
            guard r.connectors.count <= maximumConnectors, r.disconnectedLimitAmps.isFinite, r.disconnectedLimitAmps >= 0,
                  r.connectors.allSatisfy({ c in
                      [c.maximumAmps, c.minimumAmps, c.measuredAmps.l1, c.measuredAmps.l2, c.measuredAmps.l3].allSatisfy { $0.isFinite && $0 >= 0 }
                          && (1...3).contains(c.phasesConnected) && (c.usedPhases ?? []).allSatisfy { (0..<3).contains($0) }
                  }) else { throw .malformed("report values out of range") }
        }
        if let g = message.grants {
            guard g.amps.count <= maximumConnectors, g.amps.allSatisfy({ $0.isFinite && $0 >= 0 }), g.validSeconds.isFinite, g.validSeconds > 0
            else { throw .malformed("grant values out of range") }
        }
        return message
    }

    /// A new random epoch (16 hex digits).
    public static func newEpoch() -> String { RandomHex.words(1) }
}

/// Freshness per sender: only increasing sequence numbers of its current epoch. A new epoch (the sender restarted)
/// replaces the old one, and the old one is never accepted again. Replies must carry our own epoch (checked by the
/// caller), so recordings from an earlier life of either side do not fit.
public struct DLMReplayGuard: Sendable, Equatable {
    struct Peer: Sendable, Equatable { var epoch: String; var seq: UInt64; var retired: [String] }
    var peers: [String: Peer] = [:]

    public init() {}

    /// Whether the message is fresh; if so it is recorded.
    public mutating func accept(from: String, epoch: String, seq: UInt64) -> Bool {
        guard var p = peers[from] else {
            peers[from] = Peer(epoch: epoch, seq: seq, retired: [])
            return true
        }
        if p.epoch == epoch {
            guard seq > p.seq else { return false }
            p.seq = seq
        } else {
            guard !p.retired.contains(epoch) else { return false }
            p.retired = Array((p.retired + [p.epoch]).suffix(16))
            p.epoch = epoch; p.seq = seq
        }
        peers[from] = p
        return true
    }

    public mutating func forget(_ from: String) { peers[from] = nil }
}
