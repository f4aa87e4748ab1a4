import HostConfig

/// The Network page's interface configuration (issue 24 item 1; seeds/002 §1.4 "Interfaces", seeds/004 §3.2): the
/// runtime hands these to the network service it found at start (NetworkManager or systemd-networkd). A station without
/// one (test doubles) configures nothing and says so; the page then lists the interfaces as the system reports them.
extension StationService {
    public func networkStatus() async -> NetworkConfigurationStatus { .notManaged("this station has no network service") }

    public func configureInterface(_ form: InterfaceForm, connection: NetworkChangeGuard.Connection, by: String) async
        -> Result<NetworkChangeOutcome, NetworkConfigureError> {
        .failure(.notManaged("this station has no network service"))
    }

    public func confirmNetworkChange(connection: NetworkChangeGuard.Connection, by: String) async -> Result<InterfaceConfig, NetworkConfigureError> {
        .failure(.notManaged("this station has no network service"))
    }
}
