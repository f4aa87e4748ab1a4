#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import ChargePoint
import EVSECore
import HostConfig
import HostServices

/// The service port's DHCP server and WAN router in the runtime (issue 24 item 2, seeds/004 §4 "3.2 Gateway
/// Configuratie"): what the Network page and `GET /api/network/dhcp` read.
extension StationRuntime {
    /// The settings the service follows (the current values: these parameters take effect at once).
    package func routerSettings() -> RouterSettings { RouterSettings(parameterService.values) }

    package func setServicePortStatus(_ status: DHCPRouterStatus?) { servicePortStatus = status }

    public func dhcpStatus() async -> DHCPRouterStatus? {
        servicePortStatus ?? DHCPRouterStatus.off(parameterService.values)
    }
}

/// Follows the DHCP server and WAN router parameters (once a second): starts, restarts and stops dnsmasq through
/// ``DnsmasqSupervisor``, loads or removes the router's nftables tables through ``NFTablesRouter``, gives the service
/// interface its address while either needs it (``ServiceAddress``), and reports both with the current leases. Idle
/// while both are Off (the factory setting): then it starts no program and touches nothing of the operating system.
/// At shutdown it stops dnsmasq, removes its tables and the address it added.
package struct ServicePortService<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let dhcp: DnsmasqSupervisor
    let router: NFTablesRouter
    let address: ServiceAddress
    let logger: Logger
    let interval: Duration
    /// Present while ChargeKit's nftables tables are loaded: a station killed with them loaded removes them at its next
    /// start even when the router is now off — and a station that never loaded them runs no `nft` at all.
    let tablesMarker: String

    package init(runtime: StationRuntime<Board>, dataDirectory: String, logger: Logger, interval: Duration = .seconds(1),
                 forwardingPath: String = "/proc/sys/net/ipv4/ip_forward") {
        self.runtime = runtime; self.logger = logger; self.interval = interval
        // dnsmasq gets absolute paths: it does not run in the station's working directory.
        let directory = dataDirectory.hasPrefix("/") ? dataDirectory : FileManager.default.currentDirectoryPath + "/" + dataDirectory
        dhcp = DnsmasqSupervisor(paths: DHCPServerPaths(directory: directory), logger: logger)
        tablesMarker = directory + "/router-tables-loaded"
        router = NFTablesRouter(forwardingPath: forwardingPath, logger: logger)
        address = ServiceAddress(logger: logger)
    }

    package func run() async throws {
        var state = PassState()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            state = await pass(state)
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
        await shutDown(state)
    }

    /// What one pass hands the next: whether ChargeKit's tables may be loaded, the router's last error.
    struct PassState {
        var routerLoaded = false
        var routerError: String?
        var addressError: String?
        var cleanedUp = false
    }

    func pass(_ start: PassState) async -> PassState {
        var s = start
        let settings = await runtime.routerSettings()
        // Once at start: tables left by a station that was killed are removed, so "off" really is off.
        if !s.cleanedUp {
            s.cleanedUp = true
            if settings.router == nil, FileManager.default.fileExists(atPath: tablesMarker) {
                do throws(RouterError) {
                    try await router.remove()
                    try? FileManager.default.removeItem(atPath: tablesMarker)
                    logger.notice("WAN router: tables left by an earlier run removed")
                } catch {
                    logger.error("WAN router: removing the tables of an earlier run failed: \(error.message)")
                }
            }
        }
        // The service interface's address, which the DHCP server and the router's clients need.
        s.addressError = nil
        if (settings.dhcp != nil || settings.router != nil), let prefix = settings.address {
            do throws(RouterError) { try await address.ensure(prefix, on: settings.interface) } catch {
                if s.addressError != error.message { logger.error("service interface: \(error.message)") }
                s.addressError = error.message
            }
        } else {
            await address.release()
        }
        let report = await dhcp.reconcile(settings.dhcp)
        var routerState = RouterState.off
        if let r = settings.router {
            do throws(RouterError) {
                if !s.routerLoaded { FileManager.default.createFile(atPath: tablesMarker, contents: Data()) }
                try await router.apply(lan: r.lan, uplink: r.uplink, network: r.network)
                s.routerLoaded = true; s.routerError = nil; routerState = .active
            } catch {
                if s.routerError != error.message { logger.error("WAN router: \(error.message)") }
                s.routerError = error.message; routerState = .failed
            }
        } else if s.routerLoaded {
            do throws(RouterError) {
                try await router.remove(); s.routerLoaded = false; s.routerError = nil
                try? FileManager.default.removeItem(atPath: tablesMarker)
            } catch {
                s.routerError = error.message; routerState = .failed
                logger.error("WAN router: removing its tables failed: \(error.message)")
            }
        } else {
            s.routerError = nil
        }
        let leases = settings.dhcp == nil ? [] : await dhcp.leases().leases.map(DHCPRouterStatus.Lease.init)
        let p = settings.dhcp
        var message = report.message ?? s.addressError
        if let problem = settings.problem { message = problem }
        var routerMessage = s.routerError
        if routerState == .active, let r = settings.router, !InterfaceDirectory().exists(r.uplink) {
            routerMessage = "the uplink interface \(r.uplink) does not exist (yet): nothing is forwarded until it does"
        }
        let uplink = await runtime.parameterValue(.wanRouterUplinkInterface)
        await runtime.setServicePortStatus(DHCPRouterStatus(
            state: report.state, message: message, interface: settings.interface,
            address: settings.address?.description ?? "",
            poolFirst: p.flatMap { DHCPServerConfiguration.host($0.poolStart, in: $0.address)?.description },
            poolLast: p.flatMap { DHCPServerConfiguration.host($0.poolEnd, in: $0.address)?.description },
            leases: leases, router: .init(state: routerState, uplink: uplink, message: routerMessage)))
        return s
    }

    func shutDown(_ s: PassState) async {
        await dhcp.reconcile(nil)
        if s.routerLoaded {
            do throws(RouterError) {
                try await router.remove()
                try? FileManager.default.removeItem(atPath: tablesMarker)
            } catch { logger.error("WAN router: removing its tables failed: \(error.message)") }
        }
        await address.release()
        await runtime.setServicePortStatus(nil)
    }
}

extension StationRuntime {
    package func parameterValue<V: Sendable>(_ key: ParameterKey<V>) -> V { parameterService.values[key] }
}
