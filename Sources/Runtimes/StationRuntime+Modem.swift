#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import Logging
import ServiceLifecycle
import ChargePoint
import DBus
import EVSECore
import Hosting
import Persistence
import HostConfig
import HostServices

/// The mobile modem's side of the runtime (issue 24 item 3): the settings for the modem service, what it saw, WeakSignal,
/// and the SIM's identifiers for BootNotification — kept in the database so that the first BootNotification after a
/// start carries them although the modem needs a while to read its SIM.
extension StationRuntime {
    static var simICCIDKey: String { "simICCID" }
    static var simIMSIKey: String { "simIMSI" }

    package func mobileSettings() -> MobileSettings { MobileSettings(parameterService.values) }

    public func mobileStatus() -> MobileStatusView { mobile }

    /// One poll's outcome: shown on the page, WeakSignal raised or cleared, new SIM identifiers stored and put into
    /// the next BootNotification.
    package func modemUpdate(_ view: MobileStatusView) {
        mobile = view
        controller.setWeakSignal(view.weakSignal, now: clock.now())
        if let modem = view.modem, !modem.iccid.isEmpty {
            let stored = (try? database.meta(Self.simICCIDKey), try? database.meta(Self.simIMSIKey))
            if stored.0 != modem.iccid || stored.1 != modem.imsi {
                do {
                    try database.setMeta(Self.simICCIDKey, modem.iccid)
                    try database.setMeta(Self.simIMSIKey, modem.imsi)
                    logger.notice("SIM card \(modem.iccid) in the modem; the next BootNotification carries its ICCID and IMSI")
                } catch {
                    logger.error("storing the SIM's identifiers failed: \(error)")
                }
            }
            ocpp?.chargePoint.setSIM(iccid: modem.iccid, imsi: modem.imsi)
        }
        carryOut()
    }

    /// The SIM identifiers of the last modem poll before this start, into the BootNotification.
    func restoreSIMIdentity() {
        guard let iccid = try? database.meta(Self.simICCIDKey), !iccid.isEmpty else { return }
        ocpp?.chargePoint.setSIM(iccid: iccid, imsi: (try? database.meta(Self.simIMSIKey)) ?? "")
    }
}

/// Polls ModemManager every few seconds, lets the ``ModemPlanner`` decide, carries out its actions and reports to the
/// runtime. Idle but polling while the connection type is LAN (the page still shows a modem that is present). Without
/// ModemManager on the bus it says so once and keeps trying quietly, so that one started later is found.
package struct MobileModemService<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let bus: any DBusBus
    let logger: Logger
    let interval: Duration
    /// iproute2's `ip`, which puts a connected bearer's address and default route on the modem's interface.
    let ipProgram: String

    package init(runtime: StationRuntime<Board>, bus: any DBusBus, logger: Logger, interval: Duration = .seconds(5),
                 ipProgram: String = "/usr/sbin/ip") {
        self.runtime = runtime; self.bus = bus; self.logger = logger; self.interval = interval; self.ipProgram = ipProgram
    }

    /// What the service keeps between polls besides the planner: the bearer configuration it applied, and the last
    /// problem applying one (shown while no planner problem is).
    struct Memory {
        var applied: BearerIPConfig?
        var bearerProblem: String?
    }

    package func run() async throws {
        var planner = ModemPlanner()
        var memory = Memory()
        var reported: (manager: String?, problem: ModemPlanner.Problem?) = (nil, nil)
        let client = ModemManagerClient(bus: bus)
        // The station's monotonic clock (scaled like every other timer of the station: `--time-scale` speeds it up).
        let clock = runtime.clock
        func seconds() -> Double { clock.monotonicNow().timeIntervalSince1970 }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let settings = await runtime.mobileSettings()
            var view = MobileStatusView(connectionType: settings.connectionType)
            do {
                let status = try await cancelWhenGracefulShutdown { try await client.status() }
                view.managerAvailable = true
                if reported.manager != nil { logger.notice("ModemManager answers"); reported.manager = nil }
                for action in planner.plan(settings, status: status, nowSeconds: seconds()) {
                    guard let status else { break }
                    await perform(action, client: client, status: status, planner: &planner, memory: &memory, nowSeconds: seconds())
                }
                view.modem = status
                view.problem = planner.problem?.message ?? (status?.state == .connected ? memory.bearerProblem : nil)
                view.weakSignal = planner.weakSignal
                if planner.problem != reported.problem {
                    if let p = planner.problem { logger.warning("mobile modem: \(p.message)") }
                    reported.problem = planner.problem
                }
            } catch {
                let text = (error as? DBusError).map { Self.managerProblem($0) } ?? "\(error)"
                view.managerProblem = text
                _ = planner.plan(settings, status: nil, nowSeconds: seconds())
                if reported.manager != text {
                    // Only worth a warning when the mobile connection is wanted; on the LAN it is a fact.
                    if settings.connectionType == .gsm { logger.warning("mobile modem: \(text)") } else { logger.info("mobile modem: \(text)") }
                    reported.manager = text
                }
            }
            await runtime.modemUpdate(view)
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    /// Carries out one action; its outcome goes back to the planner. Neither the PIN nor the APN password is logged.
    private func perform(_ action: ModemPlanner.Action, client: ModemManagerClient, status: ModemStatus, planner: inout ModemPlanner,
                         memory: inout Memory, nowSeconds: Double) async {
        do {
            let bearer = try await client.perform(action, on: status)
            switch action {
            case .sendPIN: planner.pinResult(accepted: true); logger.notice("mobile modem: SIM unlocked with the PIN")
            case .connect(let r):
                planner.connectResult(succeeded: true, nowSeconds: nowSeconds)
                logger.notice("mobile modem: connected to APN \(r.apn)")
                if let bearer { await applyBearer(bearer, client: client, memory: &memory) }
            case .register(let id): planner.registerResult(succeeded: true); logger.notice("mobile modem: registering with \(id.isEmpty ? "automatic selection" : id)")
            case .enable: logger.notice("mobile modem: enabled")
            case .setModes: logger.notice("mobile modem: \(Self.describe(action))")
            case .disconnect:
                logger.notice("mobile modem: disconnected (connection type LAN)")
                if let applied = memory.applied {
                    for args in applied.removalCommands { _ = try? await SystemCommand(ipProgram, args).run(timeoutSeconds: 10) }
                    memory.applied = nil
                }
            }
        } catch {
            switch action {
            case .sendPIN: planner.pinResult(accepted: false)
            case .connect: planner.connectResult(succeeded: false, nowSeconds: nowSeconds)
            case .register: planner.registerResult(succeeded: false)
            default: break
            }
            logger.warning("mobile modem: \(Self.describe(action)) failed: \(error)")
        }
    }

    /// Puts the connected bearer's IPv4 configuration on the modem's interface (address, default route with the mobile
    /// metric) and its DNS servers into systemd-resolved where it runs. A method the station cannot apply (PPP, DHCP)
    /// is reported: such a modem needs NetworkManager.
    private func applyBearer(_ bearer: String, client: ModemManagerClient, memory: inout Memory) async {
        let config: BearerIPConfig
        do { config = try await client.bearerConfig(bearer) } catch {
            memory.bearerProblem = "the bearer's IP configuration cannot be read: \(error)"
            logger.warning("mobile modem: \(memory.bearerProblem!)")
            return
        }
        if let problem = config.problem {
            memory.bearerProblem = problem
            logger.warning("mobile modem: \(problem)")
            return
        }
        for args in config.ipCommands {
            do {
                let result = try await SystemCommand(ipProgram, args).run(timeoutSeconds: 10)
                guard result.succeeded else {
                    memory.bearerProblem = "ip \(args.joined(separator: " ")) failed: \(result.stderr.trimmedWhitespaceAndNewlines)"
                    logger.warning("mobile modem: \(memory.bearerProblem!)")
                    return
                }
            } catch {
                memory.bearerProblem = "\(error)"
                logger.warning("mobile modem: \(error)")
                return
            }
        }
        memory.applied = config
        memory.bearerProblem = nil
        logger.notice("mobile modem: \(config.interface) has \(config.address.map(String.init(describing:)) ?? "")/\(config.prefixLength ?? 0), default route metric \(BearerIPConfig.routeMetric)")
        if !config.dns.isEmpty {
            let dns = config.dns.map(\.description)
            let result = try? await SystemCommand("/usr/bin/resolvectl", ["dns", config.interface] + dns).run(timeoutSeconds: 10)
            if result?.succeeded != true {
                logger.notice("mobile modem: DNS servers \(dns.joined(separator: ", ")) not handed to systemd-resolved (not running); the system's resolver configuration stays")
            }
        }
    }

    /// Why ModemManager cannot be asked, in the installer's words.
    static func managerProblem(_ error: DBusError) -> String {
        if error.isServiceUnknown { return "ModemManager is not running" }
        if error.name == "chargekit.Bus.Disconnected" { return "no system bus to ask ModemManager on (\(error.message))" }
        return "ModemManager does not answer: \(error)"
    }

    /// An action in words, without secrets.
    static func describe(_ action: ModemPlanner.Action) -> String {
        switch action {
        case .enable: "enabling the modem"
        case .sendPIN: "sending the SIM PIN"
        case .setModes(let allowed, _): "setting the access technology (modes \(allowed == ModemPlanner.anyModeBits ? "any" : String(allowed)))"
        case .register(let id): "registering with \(id.isEmpty ? "automatic operator selection" : "operator " + id)"
        case .connect(let r): "connecting to APN \(r.apn)"
        case .disconnect: "disconnecting"
        }
    }
}
