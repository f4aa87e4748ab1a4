#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Logging
import DBus
import HostConfig

/// The station's interface configuration at run time (issue 24 item 1): the network service found at start (or why
/// there is none), the Network page's changes validated (``InterfaceForm``), applied through the service, and guarded by
/// ``NetworkChangeGuard`` — a change that may cut off the browser comes back unless it is confirmed within two minutes.
/// One per process: a pending change outlives a restart of the station services.
public actor NetworkConfigService {
    public let configurator: (any NetworkConfigurator)?
    /// Why nothing is configured here (no service found, or switched off), when ``configurator`` is nil.
    public let reason: String?
    var changeGuard: NetworkChangeGuard
    /// The pending change's interface had no configuration in the service before: the way back is to remove ours.
    var revertRemoves = false
    let nowSeconds: @Sendable () -> Double
    let logger: Logger
    let runsTimer: Bool
    var timer: Task<Void, Never>?
    /// Where a pending change is kept across a restart of the process (``NetworkPendingRecord``); nil: in memory only.
    let pendingFile: String?
    let wallSeconds: @Sendable () -> Double

    /// `nowSeconds` is monotonic; `runsTimer` false leaves the deadline to ``tick()`` (tests).
    public init(configurator: (any NetworkConfigurator)?, reason: String?, logger: Logger,
                nowSeconds: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }, runsTimer: Bool = true,
                confirmWindowSeconds: Double = NetworkChangeGuard.defaultConfirmWindowSeconds, pendingFile: String? = nil,
                wallSeconds: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.configurator = configurator; self.reason = reason; self.logger = logger; self.nowSeconds = nowSeconds; self.runsTimer = runsTimer
        changeGuard = NetworkChangeGuard(confirmWindowSeconds: confirmWindowSeconds)
        self.pendingFile = pendingFile; self.wallSeconds = wallSeconds
    }

    /// At start: a change the previous process left pending waits for the rest of its time, or comes back now.
    public func resume() async {
        guard let pendingFile, let record = NetworkPendingRecord.load(pendingFile) else { return }
        guard configurator != nil, let p = record.pending(nowSeconds: nowSeconds(), wallSeconds: wallSeconds()) else {
            logger.warning("a pending network change was left by the previous start but cannot be taken back here: \(record.interface)")
            NetworkPendingRecord.remove(pendingFile)
            return
        }
        changeGuard.resume(p)
        revertRemoves = record.revertRemoves
        logger.notice("the change of \(p.interface) still waits for its confirmation: \(p.remainingSeconds(now: nowSeconds())) s left")
        if p.deadlineSeconds <= nowSeconds() { await tick() } else { startTimer() }
    }

    /// Chooses the service (issue 24 item 1: "detected at start"): `CHARGEKIT_NETWORK_SERVICE` = `networkmanager`,
    /// `networkd` or `none` forces one; otherwise NetworkManager when it answers on the system bus, else systemd-networkd
    /// when it runs, else none. `CHARGEKIT_NETWORKD_DIR` and `CHARGEKIT_NETWORKCTL` move networkd's directory and program;
    /// `CHARGEKIT_NETWORK_CONFIRM_SECONDS` (5–600) shortens the two minutes where a test must see the rollback.
    public static func detect(bus: (any DBusBus)?, environment: [String: String] = ProcessInfo.processInfo.environment,
                              pendingFile: String? = nil, logger: Logger) async -> NetworkConfigService {
        let choice = (environment["CHARGEKIT_NETWORK_SERVICE"] ?? "auto").lowercased()
        let networkd = NetworkdConfigurator(directory: environment["CHARGEKIT_NETWORKD_DIR"] ?? NetworkdConfigurator.defaultDirectory,
                                            networkctl: environment["CHARGEKIT_NETWORKCTL"] ?? "/usr/bin/networkctl")
        let window = environment["CHARGEKIT_NETWORK_CONFIRM_SECONDS"].flatMap(Double.init).map { min(600, max(5, $0)) }
            ?? NetworkChangeGuard.defaultConfirmWindowSeconds
        func made(_ c: (any NetworkConfigurator)?, _ reason: String?) -> NetworkConfigService {
            if let c { logger.info("network configuration through \(c.serviceName)") } else if let reason { logger.info("network configuration off: \(reason)") }
            return NetworkConfigService(configurator: c, reason: reason, logger: logger, confirmWindowSeconds: window, pendingFile: pendingFile)
        }
        switch choice {
        case "none", "off":
            return made(nil, "switched off (CHARGEKIT_NETWORK_SERVICE=\(choice))")
        case "networkd", "systemd-networkd":
            return made(networkd, nil)
        case "networkmanager", "nm":
            guard let bus else { return made(nil, "NetworkManager was chosen, but there is no connection to the system bus") }
            if let why = await NetworkManagerConfigurator.probe(bus) { return made(nil, why) }
            return made(NetworkManagerConfigurator(bus: bus), nil)
        default:
            var why = ["no system bus connection"]
            if let bus {
                if let problem = await NetworkManagerConfigurator.probe(bus) { why = [problem] } else { return made(NetworkManagerConfigurator(bus: bus), nil) }
            }
            if networkdRuns() { return made(networkd, nil) }
            why.append("systemd-networkd is not running")
            return made(nil, why.joined(separator: "; "))
        }
    }

    /// Whether a systemd-networkd process runs (its command name, cut to 15 characters by the kernel).
    static func networkdRuns() -> Bool {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.contains { pid in
            pid.allSatisfy(\.isNumber) && (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("systemd-network") == true
        }
    }

    public func status() async -> NetworkConfigurationStatus {
        guard let configurator else { return .notManaged(reason ?? "no network service") }
        let pending = changeGuard.pending.map { PendingNetworkChange($0, nowSeconds: nowSeconds()) }
        do {
            return NetworkConfigurationStatus(service: configurator.serviceName, reason: nil, interfaces: try await configurator.interfaces(), pending: pending)
        } catch {
            return NetworkConfigurationStatus(service: configurator.serviceName, reason: "\(configurator.serviceName) did not answer: \(error)",
                                              interfaces: [], pending: pending)
        }
    }

    /// Validates and applies one interface's form; a change that may cut off `connection` waits for its confirmation.
    public func configure(_ form: InterfaceForm, connection: NetworkChangeGuard.Connection, by user: String) async
        -> Result<NetworkChangeOutcome, NetworkConfigureError> {
        guard let configurator else { return .failure(.notManaged(reason ?? "no network service")) }
        let states: [InterfaceState]
        do { states = try await configurator.interfaces() } catch { return .failure(.serviceFailed("\(configurator.serviceName) did not answer: \(error)")) }
        guard let state = states.first(where: { $0.name == form.name }) else {
            if case .failure(let e) = form.validate(), e.byField["name"] != nil { return .failure(.invalid(e)) }
            return .failure(.unknownInterface(form.name))
        }
        let new: InterfaceConfig
        switch form.validate(others: states.compactMap(\.config)) {
        case .success(let c): new = c
        case .failure(let e): return .failure(.invalid(e))
        }
        let previous = state.config ?? Self.derived(state)
        let actions: [NetworkChangeGuard.Action]
        switch changeGuard.change(from: previous, to: new, state: state.addresses, connection: connection, nowSeconds: nowSeconds()) {
        case .success(let a): actions = a
        case .failure(let r): return .failure(.refused(r))
        }
        do {
            // The way back is on disk before the change is made.
            if let p = changeGuard.pending, let pendingFile {
                try NetworkPendingRecord(p, revertRemoves: state.config == nil, deadlineUnixSeconds: wallSeconds() + (p.deadlineSeconds - nowSeconds()))
                    .save(pendingFile)
            }
            for case .apply(let c) in actions { try await configurator.apply(c) }
        } catch {
            if let pendingFile, changeGuard.pending != nil { NetworkPendingRecord.remove(pendingFile) }
            changeGuard = NetworkChangeGuard(confirmWindowSeconds: changeGuard.confirmWindowSeconds)  // the change did not happen
            logger.warning("applying \(new.name) failed: \(error)")
            return .failure(error as? NetworkConfigureError ?? .serviceFailed("\(error)"))
        }
        let pending = changeGuard.pending.map { PendingNetworkChange($0, nowSeconds: nowSeconds()) }
        if let pending {
            revertRemoves = state.config == nil
            logger.notice("\(user) changed \(new.name) through \(configurator.serviceName); it comes back unless confirmed within \(pending.remainingSeconds) s")
            startTimer()
        } else {
            logger.notice("\(user) changed \(new.name) through \(configurator.serviceName)")
        }
        return .success(NetworkChangeOutcome(applied: new, pending: pending))
    }

    public func confirm(connection: NetworkChangeGuard.Connection, by user: String) -> Result<InterfaceConfig, NetworkConfigureError> {
        switch changeGuard.confirm(connection: connection, nowSeconds: nowSeconds()) {
        case .success(let c):
            timer?.cancel(); timer = nil
            if let pendingFile { NetworkPendingRecord.remove(pendingFile) }
            logger.notice("\(user) confirmed the change of \(c.name) from \(connection.station.map(\.description) ?? "?")")
            return .success(c)
        case .failure(let r):
            return .failure(.refused(r))
        }
    }

    /// Takes the pending change back once its time is over; returns what was done.
    @discardableResult
    public func tick() async -> [NetworkChangeGuard.Action] {
        let actions = changeGuard.tick(nowSeconds: nowSeconds())
        for case .revert(let previous) in actions {
            logger.warning("the change of \(previous.name) was not confirmed within \(Int(changeGuard.confirmWindowSeconds)) s: the previous configuration comes back")
            do {
                if revertRemoves, let networkd = configurator as? NetworkdConfigurator {
                    try await networkd.remove(previous.name)
                } else {
                    try await configurator?.apply(previous)
                }
            } catch {
                logger.error("taking back the change of \(previous.name) failed: \(error)")
            }
            if let pendingFile { NetworkPendingRecord.remove(pendingFile) }
        }
        return actions
    }

    func startTimer() {
        guard runsTimer, let deadline = changeGuard.pending?.deadlineSeconds else { return }
        timer?.cancel()
        let wait = max(0, deadline - nowSeconds())
        timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 50))
            guard !Task.isCancelled else { return }
            await self?.tick()
        }
    }

    /// What the service's state says when it holds no configuration of ours: a lease or no IPv4 address means DHCP,
    /// else the first IPv4 address static.
    static func derived(_ s: InterfaceState) -> InterfaceConfig {
        var c = InterfaceConfig(name: s.name)
        if s.dhcpLease == nil, let v4 = s.addresses.first(where: { $0.address.isV4 }) { c.ipv4 = .init(method: .manual, address: v4) }
        return c
    }
}

extension NetworkdConfigurator {
    /// Removes ChargeKit's file (the interface falls back to the other `.network` files) and makes networkd read again.
    public func remove(_ interface: String) async throws {
        try? FileManager.default.removeItem(atPath: path(for: interface))
        for arguments in [["reload"], ["reconfigure", interface]] {
            let r = try await run(networkctl, arguments)
            guard r.succeeded else { throw NetworkConfigureError.serviceFailed("networkctl \(arguments.joined(separator: " ")) failed: \(r.stderr)") }
        }
    }
}
