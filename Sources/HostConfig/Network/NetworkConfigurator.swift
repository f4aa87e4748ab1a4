/// The port through which the station configures its interfaces in the operating system's own network service
/// (issue 24 item 1): NetworkManager over D-Bus or systemd-networkd's files, implemented in the HostServices adapter and
/// chosen at start. The station never sets addresses itself: the service stays the one owner of the interfaces, so
/// its configuration survives a restart of ChargeKit and of the machine.
public protocol NetworkConfigurator: Sendable {
    /// "NetworkManager" or "systemd-networkd", for the page and the log.
    var serviceName: String { get }
    /// The interfaces the service manages, with the state the operating system reports and the configuration it holds.
    func interfaces() async throws -> [InterfaceState]
    /// Writes `config` into the service and makes it take effect now.
    func apply(_ config: InterfaceConfig) async throws
}

/// What the Network page and `GET /api/network/interfaces` show.
public struct NetworkConfigurationStatus: Sendable {
    /// The service that configures the interfaces; nil when none does (the page then only lists the interfaces).
    public var service: String?
    /// Why the interfaces cannot be configured here (no service found, or it failed to answer).
    public var reason: String?
    public var interfaces: [InterfaceState]
    public var pending: PendingNetworkChange?

    public init(service: String?, reason: String?, interfaces: [InterfaceState], pending: PendingNetworkChange?) {
        self.service = service; self.reason = reason; self.interfaces = interfaces; self.pending = pending
    }

    /// Nothing manages the interfaces.
    public static func notManaged(_ reason: String) -> Self { Self(service: nil, reason: reason, interfaces: [], pending: nil) }
}

/// A change applied and waiting for its confirmation (``NetworkChangeGuard``), as the banner shows it.
public struct PendingNetworkChange: Sendable, Equatable {
    public var interface: String
    public var remainingSeconds: Int
    /// Where to open the page to confirm (the change's static addresses; empty with DHCP: the address the lease brings).
    public var newAddresses: [IPAddress]
    public var previous: InterfaceConfig
    public var applied: InterfaceConfig

    public init(_ p: NetworkChangeGuard.Pending, nowSeconds: Double) {
        interface = p.interface; remainingSeconds = p.remainingSeconds(now: nowSeconds); newAddresses = p.newAddresses
        previous = p.previous; applied = p.applied
    }
}

/// What became of a change.
public struct NetworkChangeOutcome: Sendable {
    public var applied: InterfaceConfig
    /// Set when the change waits for its confirmation.
    public var pending: PendingNetworkChange?
    public init(applied: InterfaceConfig, pending: PendingNetworkChange?) { self.applied = applied; self.pending = pending }
}

/// Why a change or a confirmation was not carried out.
public enum NetworkConfigureError: Error, Sendable, CustomStringConvertible {
    /// Fields refused, each named (the page shows them next to the fields).
    case invalid(InterfaceConfigErrors)
    /// One change at a time, or a confirmation that is no proof (``NetworkChangeGuard/Refusal``).
    case refused(NetworkChangeGuard.Refusal)
    /// No network service configures the interfaces here.
    case notManaged(String)
    case unknownInterface(String)
    /// The service refused or failed (its own message).
    case serviceFailed(String)

    public var description: String {
        switch self {
        case .invalid(let e): e.description
        case .refused(let r): r.description
        case .notManaged(let why): "the interfaces are not configured by ChargeKit here: \(why)"
        case .unknownInterface(let name): "no interface '\(name)' is managed by the network service"
        case .serviceFailed(let message): message
        }
    }
}
