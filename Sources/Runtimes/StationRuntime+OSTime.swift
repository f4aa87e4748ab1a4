#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import ChargePoint
import DBus
import EVSECore
import Hosting
import HostConfig
import HostServices

/// The operating system's clock, time zone and NTP servers (issue 24 item 4, seeds/002 §1.6): the runtime's side.
extension StationRuntime {
    /// What a pass of ``OSTimeService`` reads: what the station wants, the last time its clock was set, its time now
    /// and the simulation's time scale.
    package func osTimeInputs() -> (desired: OSClockPlan.Desired, lastClockSet: ClockSet?, now: Date, scale: Double) {
        let p = parameterService.values
        let zone = p[.timezone]
        let servers = NTPConfiguration.servers(p[.ntpServers]).servers
        let isDefault = p.stored[StationParameters.timezone] == nil
        return (OSClockPlan.Desired(timezone: zone, timezoneIsDefault: isDefault, followsNTP: p[.timeSource] == .ntp, ntpServers: servers),
                lastClockSet, clock.now(), clock.scale)
    }

    /// The service's latest view of the OS clock, for the System page.
    package func osClockUpdated(_ status: OSClockStatus) { osClock = status }
}

/// Keeps the operating system's clock, time zone and NTP servers in line with the station (issue 24 item 4), through
/// systemd-timedated on the system bus (``Timedated``) and the NTP service's own file (``NTPServiceConfigurator``):
/// - the Timezone parameter becomes the OS time zone (`SetTimezone`) — once changed from its factory value, so an OS
///   zone set by other means is not reset to UTC by a station that was never told its zone;
/// - TimeSource NTP switches the OS's NTP on; the NTPServers parameter is written for timesyncd or chrony;
/// - when the station clock is set (backend, browser, API), the OS clock is set to it (`SetTime`) so that the time
///   survives a restart, as ``OSClockPlan/clockSet(followsNTP:_:)`` decides.
/// Without timedated on the bus (a plain container) it logs one line, the System page says the OS clock is not managed,
/// and it asks again every 30 s; the station works as before. Each pass is one second apart and calls the bus only for
/// what changed.
package struct OSTimeService<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let timedated: Timedated
    let ntp: NTPServiceConfigurator
    let logger: Logger
    let interval: Duration
    let retryInterval: Duration

    package init(runtime: StationRuntime<Board>, bus: any DBusBus, configurationRoot: String = "/", logger: Logger,
                 interval: Duration = .seconds(1), retryInterval: Duration = .seconds(30)) {
        self.runtime = runtime; self.timedated = Timedated(bus: bus); self.ntp = NTPServiceConfigurator(bus: bus, root: configurationRoot)
        self.logger = logger; self.interval = interval; self.retryInterval = retryInterval
    }

    /// What the service knows between passes.
    struct State {
        var observed: OSClockPlan.Observed?
        var status = OSClockStatus(managed: false, note: "not yet asked")
        var writtenServers: [String]?
        var handledClockSet: Date?
        var nextProbe = ContinuousClock.now
        /// When timedated's properties are read again for the System page (NTP synchronised, a zone set by others).
        var nextRefresh = ContinuousClock.now
        var unavailableLogged = false
    }

    package func run() async throws {
        var state = State()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let current = state
            state = await cancelWhenGracefulShutdown { await self.pass(current) }
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    func pass(_ start: State) async -> State {
        var s = start
        let (desired, clockSet, _, scale) = await runtime.osTimeInputs()
        if s.observed == nil {
            guard ContinuousClock.now >= s.nextProbe else { return s }
            do {
                s.observed = try await timedated.read()
                s.status = OSClockStatus(managed: true)
                logger.notice("operating system clock managed through systemd-timedated (time zone \(s.observed!.timezone), NTP \(s.observed!.ntp ? "on" : "off"))")
            } catch {
                s.nextProbe = ContinuousClock.now + retryInterval
                let reason = (error as? DBusError)?.isServiceUnknown == true ? "systemd-timedated is not on the system bus" : "the system bus does not answer"
                s.status = OSClockStatus(managed: false, note: "\(reason) (\(error))")
                if !s.unavailableLogged {
                    logger.warning("the operating system's clock and time zone are not managed: \(reason) (\(error)); the station keeps its own clock")
                    s.unavailableLogged = true
                }
                // A clock set while timedated is away is not carried to the OS later (it would be stale by then).
                s.handledClockSet = clockSet?.at
                await runtime.osClockUpdated(s.status)
                return s
            }
        }
        if s.observed != nil, ContinuousClock.now >= s.nextRefresh {
            if let fresh = try? await timedated.read() { s.observed = fresh }
            s.nextRefresh = ContinuousClock.now + .seconds(60)
        }
        guard var observed = s.observed else { return s }
        for action in OSClockPlan.reconcile(desired, observed, writtenServers: s.writtenServers) {
            do {
                switch action {
                case .setTimezone(let zone):
                    try await timedated.setTimezone(zone)
                    observed.timezone = zone
                    logger.notice("operating system time zone set to \(zone) (parameter Timezone)")
                case .setNTP(let on):
                    try await timedated.setNTP(on)
                    observed.ntp = on
                    logger.notice("operating system NTP switched \(on ? "on" : "off") (TimeSource \(desired.followsNTP ? "NTP" : "Heartbeat"))")
                case .writeNTPServers(let servers):
                    s.writtenServers = servers
                    if let service = await ntp.detect() {
                        s.status.ntpService = service.rawValue
                        guard try await ntp.apply(servers, to: service) else { continue }
                        logger.notice("NTP servers for \(service.rawValue): \(servers.isEmpty ? "the operating system's own" : servers.joined(separator: " "))")
                    } else {
                        s.status.ntpService = nil
                        if !servers.isEmpty { logger.notice("NTPServers not applied: neither systemd-timesyncd nor chrony runs") }
                    }
                }
            } catch {
                s.status.note = "\(error)"
                logger.warning("operating system time: \(action) failed: \(error)")
                if let e = error as? DBusError, e.isServiceUnknown || e.name == DBusConnection.disconnectedErrorName { return lost(s, error) }
                if case .setTimezone(let zone) = action { observed.timezone = zone }  // not retried every second; again on the next change
            }
        }
        if let set = clockSet, set.at != s.handledClockSet {
            s.handledClockSet = set.at
            if scale == 1 {
                // NTP may have synchronised (or been switched) since the last look: decide on what timedated says now.
                if let fresh = try? await timedated.read() { observed = fresh }
                switch OSClockPlan.clockSet(fromBackend: set.source == "backend", followsNTP: desired.followsNTP, observed) {
                case .leave(let reason):
                    s.status.note = "operating system clock not set: \(reason)"
                    logger.notice("station clock set from the \(set.source); \(s.status.note!)")
                case .set(let disableNTP):
                    do {
                        if disableNTP {
                            try await timedated.setNTP(false)
                            observed.ntp = false
                            logger.notice("operating system NTP switched off: the station clock follows the \(set.source) (TimeSource Heartbeat)")
                        }
                        let now = await runtime.osTimeInputs().now
                        try await timedated.setTime(now)
                        s.status.setAt = now
                        s.status.setFrom = set.source
                        s.status.note = nil
                        logger.notice("operating system clock set to the station's time (from the \(set.source))")
                    } catch {
                        s.status.note = "operating system clock not set: \(error)"
                        logger.warning("\(s.status.note!)")
                    }
                }
            }
        }
        s.observed = observed
        s.status.managed = true
        s.status.timezone = observed.timezone
        s.status.ntp = observed.ntp
        s.status.ntpSynchronized = observed.ntpSynchronized
        await runtime.osClockUpdated(s.status)
        return s
    }

    /// timedated or the bus went away: ask again later.
    private func lost(_ start: State, _ error: any Error) -> State {
        var s = start
        s.observed = nil
        s.unavailableLogged = false
        s.nextProbe = ContinuousClock.now + retryInterval
        return s
    }
}
