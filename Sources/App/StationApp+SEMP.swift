import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ChargePoint
import Runtimes
import SEMP
import Transport
import WebUI

extension StationApp {
    /// The SMA interface's services (issue 25 item 1), when the parameter SMAInterface is On: the SEMP HTTP listener on
    /// `--semp-host`:`--semp-port` and the SSDP announcement on the LAN interfaces. A `--semp-interface` that does not
    /// exist stops the start with the interfaces that do.
    static func sempServices<Board>(_ options: StationOptions, runtime: StationRuntime<Board>, settings: StationSettings) throws -> [any Service] {
        var logger = Logger(label: "chargekit.semp")
        logger.logLevel = options.logLevel
        do { _ = try SSDPService.interfaces(named: options.sempInterface) } catch { throw StartupError("\(error)") }
        let device = SSDP.Device(uuid: SEMPIdentity.udn(serial: settings.serialNumber),
                                 server: "Linux UPnP/1.0 ChargeKit/\(ChargeKitVersion.current)")
        let port = options.sempPort
        var httpLogger = Logger(label: "chargekit.semp.http")
        httpLogger.logLevel = .warning
        let (ready, bound) = AsyncStream.makeStream(of: Void.self)
        let http = Application(
            router: SEMPRoutes.router(source: runtime, port: port),
            server: .guardedHTTP1(name: "SEMP", logger: httpLogger),
            configuration: .init(address: .hostname(options.sempHost, port: port), serverName: "ChargeKit"),
            onServerRunning: { _ in bound.yield(); bound.finish() },
            logger: httpLogger)
        logger.info("SMA interface: SEMP on http://\(options.sempHost):\(port)/semp, one device per connector")
        return [http, SSDPService(device: device, httpPort: port, interfaceName: options.sempInterface, httpReady: ready, logger: logger)]
    }
}
