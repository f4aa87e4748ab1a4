/// The connection caps of one listener.
///
/// Every listener of ChargeKit caps its connections in total and per remote address, so that no client, and no
/// number of clients, can take the descriptors the process needs to keep charging (issue #20
/// item 2: ~1,100 idle connections used to exhaust the common embedded limit of 1,024 descriptors and crash the
/// process).
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections the listener holds at most, whatever their state.
    public var maxConnections: Int
    /// Connections one remote address (an IPv6 /64) holds at most while they are not established. Listeners without
    /// an "established" step (Modbus, HTTP) count every connection; the OCPP server counts only unfinished WebSocket
    /// handshakes, because many chargers may share one address behind a NAT.
    public var maxPerAddress: Int

    public init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = max(1, maxConnections)
        self.maxPerAddress = max(1, min(maxPerAddress, maxConnections))
    }
}

/// Why a connection was refused (closed at once after accept).
public enum ConnectionRefusal: String, Sendable, Equatable {
    /// The listener holds ``ConnectionLimits/maxConnections``.
    case listenerFull = "the listener is full"
    /// The remote address holds ``ConnectionLimits/maxPerAddress``.
    case addressFull = "the address holds its limit"
    /// Every listener together holds what ``DescriptorBudget`` allows: the reserve is kept for the station's own files
    /// and connections.
    case descriptorsLow = "the descriptor reserve is reached"
}

/// The bookkeeping of one listener: a value with no I/O, so that its decisions are tested on their own.
public struct ConnectionLedger: Sendable, Equatable {
    public let limits: ConnectionLimits
    /// Open connections of the listener.
    public private(set) var total = 0
    /// Connections per address key that are not established yet; keys with none are removed (the table stays as
    /// small as the number of addresses holding connections).
    public private(set) var pending: [String: Int] = [:]

    public init(limits: ConnectionLimits) { self.limits = limits }

    /// Takes a connection from `address` when the caps allow it; nil means admitted.
    public mutating func admit(_ address: String) -> ConnectionRefusal? {
        guard total < limits.maxConnections else { return .listenerFull }
        guard pending[address, default: 0] < limits.maxPerAddress else { return .addressFull }
        total += 1
        pending[address, default: 0] += 1
        return nil
    }

    /// A connection of `address` proved itself (an admitted ChargerID completed its WebSocket handshake): it no longer
    /// counts against its address, only against the listener.
    public mutating func establish(_ address: String) {
        decrementPending(address)
    }

    /// A connection admitted by ``admit(_:)`` closed.
    public mutating func release(_ address: String, established: Bool) {
        total = max(0, total - 1)
        if !established { decrementPending(address) }
    }

    private mutating func decrementPending(_ address: String) {
        guard let n = pending[address] else { return }
        pending[address] = n > 1 ? n - 1 : nil
    }

    /// The key under which connections of one client are counted: the IPv4 address, or the /64 prefix of an IPv6
    /// address (one subscriber gets a whole /64, RFC 6177), an IPv4-mapped IPv6 address as its IPv4 address.
    public static func addressKey(ipv6 bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return "?" }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
