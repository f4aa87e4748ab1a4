/// Confirm-or-rollback for interface changes, as routers do it: a change that could cut the browser off from the
/// station is applied pending; unless it is confirmed from the station's new address within
/// ``defaultConfirmWindowSeconds``, the previous configuration is applied again (issue 24 item 1; the seeds configure the
/// network from the same browser that might lose it, seeds/002 §1.4, seeds/004 §3.2). A state machine without clock or
/// I/O: each event takes the current time in seconds (monotonic, injected) and returns the actions the runtime carries
/// out.
public struct NetworkChangeGuard: Sendable, Equatable {
    /// Two minutes: long enough to type the new address into the browser, short enough that a station cut off by a typo
    /// comes back before anyone drives out to it.
    public static let defaultConfirmWindowSeconds: Double = 120
    /// How long a change waits for its confirmation (the default; shorter only where a test must see the rollback).
    public let confirmWindowSeconds: Double

    /// How the browser reached the station: its own address and the station address it connected to (the web server's
    /// local address of that connection). Nil fields when unknown (in-process callers).
    public struct Connection: Sendable, Equatable {
        public var client: IPAddress?
        public var station: IPAddress?
        public init(client: IPAddress?, station: IPAddress?) { self.client = client; self.station = station }
    }

    /// A change applied and waiting for its confirmation.
    public struct Pending: Sendable, Equatable {
        public var previous: InterfaceConfig
        public var applied: InterfaceConfig
        public var deadlineSeconds: Double
        /// The station addresses the change takes away; a confirmation over one of them is no proof.
        public var removedAddresses: [IPAddress]
        /// Where the browser can reach the station after the change (the new static addresses; empty with DHCP).
        public var newAddresses: [IPAddress]
        public var interface: String { applied.name }

        public init(previous: InterfaceConfig, applied: InterfaceConfig, deadlineSeconds: Double, removedAddresses: [IPAddress], newAddresses: [IPAddress]) {
            self.previous = previous; self.applied = applied; self.deadlineSeconds = deadlineSeconds
            self.removedAddresses = removedAddresses; self.newAddresses = newAddresses
        }
        public func remainingSeconds(now: Double) -> Int { max(0, Int((deadlineSeconds - now).rounded(.up))) }
    }

    public enum Action: Sendable, Equatable {
        /// Write and activate this configuration.
        case apply(InterfaceConfig)
        /// The confirmation window ran out: write and activate the previous configuration again.
        case revert(InterfaceConfig)
    }

    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Another change waits for its confirmation; one at a time.
        case changePending(interface: String)
        case nothingPending
        /// The confirmation came over an address the change removes (the old connection).
        case confirmFromOldAddress(IPAddress, newAddresses: [IPAddress])

        public var description: String {
            switch self {
            case .changePending(let i): "a change of \(i) waits for its confirmation; confirm it or wait until it is taken back"
            case .nothingPending: "no change waits for a confirmation"
            case .confirmFromOldAddress(let a, let new):
                "this request reached the station at \(a), which the change removes; confirm from the new address"
                    + (new.isEmpty ? "" : " (\(new.map(\.description).joined(separator: ", ")))")
            }
        }
    }

    public private(set) var pending: Pending?

    public init(confirmWindowSeconds: Double = Self.defaultConfirmWindowSeconds) { self.confirmWindowSeconds = confirmWindowSeconds }

    /// Whether changing `previous` to `new` could cut off `connection`: the browser came in through this interface
    /// (it used one of the interface's addresses, or its own address is on one of the interface's networks) and the
    /// change touches the addressing of that family (method, address, prefix or gateway — name servers alone cannot
    /// break a connection by address).
    public static func mayCutOff(previous: InterfaceConfig, new: InterfaceConfig, state: [IPPrefix], connection: Connection) -> Bool {
        guard let station = connection.station else { return false }
        let loopback = station.isV4 ? station.bytes[0] == 127 : station == IPAddress("::1")
        if loopback { return false }
        let onInterface = state.contains { $0.address == station }
            || connection.client.map { c in state.contains { $0.contains(c) } } == true
            || previous.staticAddresses.contains(station)
        guard onInterface else { return false }
        return station.isV4 ? addressing4(previous) != addressing4(new) : addressing6(previous) != addressing6(new)
    }

    /// A family's method, address with prefix and gateway: what a connection by address depends on.
    static func addressing4(_ c: InterfaceConfig) -> [String] { [c.ipv4.method.rawValue, c.ipv4.address?.description ?? "", c.ipv4.gateway?.description ?? ""] }
    static func addressing6(_ c: InterfaceConfig) -> [String] { [c.ipv6.method.rawValue, c.ipv6.address?.description ?? "", c.ipv6.gateway?.description ?? ""] }

    /// A validated change: applied at once, and when it may cut off the browser, pending until confirmed.
    public mutating func change(from previous: InterfaceConfig, to new: InterfaceConfig, state: [IPPrefix], connection: Connection,
                                nowSeconds: Double) -> Result<[Action], Refusal> {
        if let p = pending { return .failure(.changePending(interface: p.interface)) }
        if Self.mayCutOff(previous: previous, new: new, state: state, connection: connection) {
            pending = Pending(previous: previous, applied: new, deadlineSeconds: nowSeconds + confirmWindowSeconds,
                              removedAddresses: Self.removedAddresses(previous: previous, new: new, state: state),
                              newAddresses: new.staticAddresses)
        }
        return .success([.apply(new)])
    }

    /// The station addresses of each family whose addressing the change touches that the new configuration does not
    /// keep (for IPv6 the link-local address stays unless IPv6 is turned off).
    static func removedAddresses(previous: InterfaceConfig, new: InterfaceConfig, state: [IPPrefix]) -> [IPAddress] {
        let kept = Set(new.staticAddresses)
        let v4Changed = addressing4(previous) != addressing4(new), v6Changed = addressing6(previous) != addressing6(new)
        var removed: [IPAddress] = []
        for a in state.map(\.address) + previous.staticAddresses where !kept.contains(a) && !removed.contains(a) {
            if a.isV4 ? v4Changed : (v6Changed && (!a.isIPv6LinkLocal || new.ipv6.method == .off)) { removed.append(a) }
        }
        return removed
    }

    /// A pending change carried over a restart of the process (its deadline on the new process's clock).
    public mutating func resume(_ p: Pending) { pending = p }

    /// The user confirms the pending change. The request must have reached the station at an address the change did
    /// not remove (proof that the new configuration works for the browser).
    public mutating func confirm(connection: Connection, nowSeconds: Double) -> Result<InterfaceConfig, Refusal> {
        guard let p = pending, nowSeconds < p.deadlineSeconds else { return .failure(.nothingPending) }
        if let s = connection.station, p.removedAddresses.contains(s) {
            return .failure(.confirmFromOldAddress(s, newAddresses: p.newAddresses))
        }
        pending = nil
        return .success(p.applied)
    }

    /// Time passes: at the deadline the previous configuration comes back.
    public mutating func tick(nowSeconds: Double) -> [Action] {
        guard let p = pending, nowSeconds >= p.deadlineSeconds else { return [] }
        pending = nil
        return [.revert(p.previous)]
    }
}
