#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import HostServices
import Logging
import ChargePoint
import EVSECore
import Hosting
import Persistence
import Transport
import WebUI

/// The station as a whole, for the web interface's System page and user menu: versions, clock, restart, reboot,
/// factory reset and the log download.
extension StationRuntime {
    /// Stops every running session (reason Reboot) and restarts the station services (seeds/002 §1.2 "Restart Daemon",
    /// "Reboot System"; System → factory reset). With a backend the restart waits until the StopTransactions are
    /// delivered, at most ``OCPPChargePoint/restartGraceSeconds``, like an OCPP Reset.
    public func requestRestart(_ kind: StationRestart, by: String) {
        let now = clock.now()
        let stopped = controller.stopAllSessions(reason: .reboot, now: now)
        let what = switch kind {
        case .services: "Restart of the station services"
        case .reboot: "Reboot"
        case .factoryReset: "Factory reset"
        }
        controller.record(.systemAction, "\(what) requested by \(by); \(stopped.count) transaction(s) stopped", now: now)
        tick()
        scheduleRestart(kind, now: now)
    }

    public func waitingForRestart() -> [ParameterView] {
        parameterService.values.waitingForRestart(startedWith: startValues).compactMap { try? parameterService.get($0.key) }
    }

    public func restoreOperatorDefaults(by: String) throws -> [String] {
        let before = parameterService.values
        let changedBy = "operator default (\(by))"
        let (restored, kept) = try parameterService.restoreOperatorDefaults(changedBy: changedBy, now: clock.now())
        try applied(restored, before: before, changedBy: changedBy)
        controller.record(.systemAction, "Operator defaults restored by \(by): \(restored.count) parameter(s)"
                          + (kept.isEmpty ? "" : "; kept because the installation does not allow the default: \(kept.joined(separator: ", "))"),
                          now: clock.now())
        requestRestart(.services, by: by)
        return kept
    }

    public func systemInfo() -> SystemInfo {
        let p = parameterService.values
        var info = SystemInfo(
            stationVersion: firmwareVersion(build: ChargeKitVersion.current), webInterfaceVersion: ChargeKitVersion.current,
            operatingSystem: Self.operatingSystem, time: clock.now(), timezone: p[.timezone],
            timeSource: p[.timeSource].rawValue, backendConfigured: ocpp != nil, lastClockSet: lastClockSet,
            timeScale: clock.scale, startedAt: controller.startedAt, osClock: osClock)
        info.firmwareUpdate = firmwareUpdateOutcome
        return info
    }

    /// "Browser (only once)": steps the station clock to the browser's time (seeds/002 §1.6). A time-scaled simulation
    /// keeps its own time.
    public func setClock(to time: Date, by: String) throws(ClockSetError) {
        guard clock.scale == 1 else { throw ClockSetError("the simulation runs at ×\(clock.scale) and keeps its own time") }
        let now = clock.now()
        let seconds = time.timeIntervalSince(now)
        guard abs(seconds) <= Self.maximumClockStep else {
            throw ClockSetError("the browser's time is \(Int(seconds)) s away from the station's; at most \(Int(Self.maximumClockStep)) s (one year) is accepted")
        }
        clock.step(by: seconds)
        controller.wallClockStepped(by: seconds)
        ocppEvent(.wallClockStepped(seconds: seconds))
        // The local API (`POST /api/system/clock`, by "api:…") sets it as the browser does; the System page says which.
        let source = by.hasPrefix("api:") ? "api" : "browser"
        lastClockSet = ClockSet(at: clock.now(), movedSeconds: seconds, source: source)
        controller.record(.systemAction, "Clock set from the \(source) by \(by) (moved by \(Int(seconds.rounded())) s)", now: clock.now())
        clockSetSecurityEvent("set from the \(source) by \(by) (moved by \(Int(seconds.rounded())) s)")
        logger.notice("station clock set from the \(source) by \(by) (moved by \(Int(seconds.rounded())) s)")
    }

    /// Largest step the browser may set the clock by.
    static var maximumClockStep: TimeInterval { 366 * 86_400 }

    /// The log download of the System page: the diagnostics files of GetDiagnostics as a ZIP.
    public func logArchive() throws -> [UInt8] { try diagnosticsFiles(from: nil, to: nil).zipped() }

    /// `PRETTY_NAME` of /etc/os-release and the kernel release.
    static var operatingSystem: String { operatingSystemDescription }
}

/// Read once per process.
private let operatingSystemDescription: String = {
    let line = (try? SystemFile.readText("/etc/os-release"))?.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
    let release = line.map { line -> String in
        let value = line.dropFirst("PRETTY_NAME=".count)
        return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
    }
    var u = utsname()
    uname(&u)
    let kernel = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return [release ?? ProcessInfo.processInfo.operatingSystemVersionString, "Linux \(kernel)"].joined(separator: " · ")
}()
