#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ChargePoint
import DBus
import EVSECore
import HostConfig
import HostServices

/// The network service of this process (issue 24 item 1), found once at the first start of the station services and
/// kept across their restarts, so that a change waiting for its confirmation is still taken back after a Reset.
public actor StationNetwork {
    public static let shared = StationNetwork()
    private var service: NetworkConfigService?

    /// The service, detected on first use (NetworkManager on the system bus, else systemd-networkd, else none).
    /// `dataDirectory` keeps a pending change across a restart of the process (`network-pending.json`).
    public func configService(logLevel: Logger.Level = .info, dataDirectory: String? = nil, simulated: Bool = false) async -> NetworkConfigService {
        if let service { return service }
        var logger = Logger(label: "chargekit.network")
        logger.logLevel = logLevel
        let environment = ProcessInfo.processInfo.environment
        let detected: NetworkConfigService
        if simulated, environment["DBUS_SYSTEM_BUS_ADDRESS"] == nil, environment["CHARGEKIT_NETWORK_SERVICE"] == nil {
            detected = NetworkConfigService(configurator: nil, reason: "a simulated station leaves the host's network alone "
                                            + "(DBUS_SYSTEM_BUS_ADDRESS or CHARGEKIT_NETWORK_SERVICE is not set)", logger: logger)
        } else {
            detected = await NetworkConfigService.detect(bus: await Self.systemBus(), pendingFile: dataDirectory.map { $0 + "/network-pending.json" },
                                                         logger: logger)
        }
        service = detected
        await detected.resume()
        return detected
    }

    /// Uses `service` instead of detecting one (tests: a network service in memory).
    package func use(_ service: NetworkConfigService) { self.service = service }

    /// The system bus (or `DBUS_SYSTEM_BUS_ADDRESS`), connected on the first call; where there is none, NetworkManager's
    /// probe fails and says so.
    static func systemBus() async -> (any DBusBus)? { DBusConnection(timeoutSeconds: 10, logger: Logger(label: "chargekit.dbus")) }
}

extension StationRuntime {
    public func networkStatus() async -> NetworkConfigurationStatus {
        await StationNetwork.shared.configService().status()
    }

    public func configureInterface(_ form: InterfaceForm, connection: NetworkChangeGuard.Connection, by user: String) async
        -> Result<NetworkChangeOutcome, NetworkConfigureError> {
        await StationNetwork.shared.configService().configure(form, connection: connection, by: user)
    }

    public func confirmNetworkChange(connection: NetworkChangeGuard.Connection, by user: String) async -> Result<InterfaceConfig, NetworkConfigureError> {
        await StationNetwork.shared.configService().confirm(connection: connection, by: user)
    }
}
