/// What the DHCP server is doing, as the Network page and `GET /api/network/dhcp` show it.
public enum DHCPServerState: String, Sendable, Codable, Equatable {
    /// Switched off (the factory setting): no dnsmasq runs.
    case off
    /// dnsmasq was started and has not yet run for two seconds.
    case starting
    case running
    /// It could not start or it died; the next attempt follows after the back-off (the message says why).
    case failed
}

/// What the WAN router is doing.
public enum RouterState: String, Sendable, Codable, Equatable {
    case off
    /// ChargeKit's tables are loaded and forwarding is on.
    case active
    /// Applying the ruleset failed (the message says why); retried.
    case failed
}
