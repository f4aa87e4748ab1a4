#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import ChargePoint
import EEBUS
import EVSECore
import Runtimes
import Transport

extension StationApp {
    /// The EEBUS interface's services (issue 26), when the parameter EEBUSInterface is On: the SHIP node on
    /// EEBUSBindAddress (or `--eebus-host`):EEBUSPort with the station's SHIP identity (a P-256 key and certificate made
    /// at the first start in `eebus/` of the data directory; its SKI is what managers pair with), DNS-SD announcing
    /// `_ship._tcp` and looking for energy managers on `--eebus-interface` (every LAN interface without it), and the
    /// pump that hands both services' reports to the runtime. A damaged identity file, an unknown interface or a bad
    /// bind address stops the start with a message naming it.
    static func eebusServices<Board>(_ options: StationOptions, runtime: StationRuntime<Board>, settings: StationSettings,
                                     dataDirectory: String) async throws -> [any Service] {
        var logger = Logger(label: "chargekit.eebus")
        logger.logLevel = options.logLevel
        do { _ = try MDNSService.interfaces(named: options.eebusInterface) } catch { throw StartupError("--eebus-interface: \(error)") }
        let shipID = StationRuntime<Board>.eebusShipID(serial: settings.serialNumber)
        let identity: SHIPIdentity
        do { identity = try SHIPIdentity.loadOrCreate(directory: dataDirectory + "/eebus", shipID: shipID) } catch {
            throw StartupError("EEBUS identity: \(error)")
        }
        let host = try listenHost(options.eebusHost, "--eebus-host", parameter: settings.eebus.bindAddress, StationParameters.eebusBindAddress, logger: logger)
        let port = settings.eebus.port
        let node = try SHIPNode(configuration: SHIPNodeConfiguration(identity: identity, listenHost: host, listenPort: port), logger: logger)
        let info = SHIPServiceInfo(id: shipID, ski: identity.ski, register: false, brand: "ChargeKit", type: "ChargingStation",
                                   model: "ChargeKit", serial: settings.serialNumber)
        let announcement: MDNSService.Announcement
        do {
            announcement = try MDNSService.Announcement(instanceName: "ChargeKit \(settings.chargeBoxIdentity)",
                                                        hostName: "chargekit-\(settings.serialNumber.lowercased())", port: UInt16(port), ship: info)
        } catch { throw StartupError("EEBUS DNS-SD record: \(error)") }
        let mdns = MDNSService(announcement: announcement, interfaceName: options.eebusInterface, logger: logger)
        await runtime.eebusStarted(node: node, mdns: mdns, identity: identity, port: port, softwareVersion: ChargeKitVersion.current,
                                   failsafeStore: EEBUSFailsafeStore(directory: dataDirectory + "/eebus"))
        logger.info("EEBUS: SHIP on \(host):\(port), SKI \(identity.ski.hex); DNS-SD on \(options.eebusInterface ?? "every LAN interface")")
        return [node, mdns, EEBUSPump<Board>(runtime: runtime, node: node, mdns: mdns)]
    }
}

/// Hands the SHIP node's events and DNS-SD's discoveries to the station's runtime, in order, while the services run.
struct EEBUSPump<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let node: SHIPNode
    let mdns: MDNSService

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in node.events { await runtime.eebusEvent(event) }
                }
                group.addTask {
                    for await services in mdns.changes() { await runtime.eebusDiscovered(services) }
                }
            }
        }
    }
}
