#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Logging
import ServiceLifecycle
import ChargePoint
import HostConfig
import HostServices
import Runtimes
import SEMP
import Transport
import WebUI

extension StationApp {
    /// The SMA interface's services (issue 25 item 1), when the parameter SMAInterface is On: the SEMP HTTP listener on
    /// SMAInterfaceBindAddress (or `--semp-host`):`--semp-port` and the SSDP announcement on the LAN interfaces. A `--semp-interface` that does not
    /// exist stops the start with the interfaces that do.
    static func sempServices<Board>(_ options: StationOptions, runtime: StationRuntime<Board>, settings: StationSettings) throws -> [any Service] {
        var logger = Logger(label: "chargekit.semp")
        logger.logLevel = options.logLevel
        do { _ = try SSDPService.interfaces(named: options.sempInterface) } catch { throw StartupError("\(error)") }
        let device = SSDP.Device(uuid: SEMPIdentity.udn(serial: settings.serialNumber),
                                 server: "Linux UPnP/1.0 ChargeKit/\(ChargeKitVersion.current)")
        let port = options.sempPort
        let host = try listenHost(options.sempHost, "--semp-host", parameter: settings.listeners.semp, StationParameters.smaBindAddress, logger: logger)
        var httpLogger = Logger(label: "chargekit.semp.http")
        httpLogger.logLevel = .warning
        let (ready, bound) = AsyncStream.makeStream(of: Void.self)
        let http = Application(
            router: SEMPRoutes.router(source: runtime, port: port),
            server: .guardedHTTP1(name: "SEMP", logger: httpLogger),
            configuration: .init(address: .hostname(host, port: port), serverName: "ChargeKit"),
            onServerRunning: { _ in bound.yield(); bound.finish() },
            logger: httpLogger)
        logger.info("SMA interface: SEMP on http://\(host):\(port)/semp, one device per connector")
        return [http, SSDPService(device: device, httpPort: port, interfaceName: options.sempInterface, httpReady: ready, logger: logger)]
    }
}

extension StationApp {
    /// The host a listener binds (issue 23 item 7): the command line's override when given (`option`, for one run),
    /// else the parameter `name`; an interface name is resolved to its address now. An unknown interface, or a bad
    /// override, stops the start with a message naming it.
    static func listenHost(_ override: String?, _ option: String, parameter: ListenAddress, _ name: String, logger: Logger) throws -> String {
        var address = parameter
        var setting = name
        if let override {
            guard let parsed = ListenAddress(override) else {
                throw StartupError("\(option) '\(override)': \(ListenAddress.problem(override) ?? "not an address")")
            }
            if parsed != parameter { logger.notice("\(option) \(override) overrides the parameter \(name) (\(parameter)) for this run") }
            address = parsed
            setting = option
        }
        do { return try InterfaceAddresses.bindHost(address, setting: setting) } catch { throw StartupError("\(error)") }
    }
}
