#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import StringSupport
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs the service port's DHCP server (seeds/004 §4 "3.2 Gateway Configuratie", DHCP-server mode) as a child process:
/// `dnsmasq --keep-in-foreground --conf-file=<data>/dnsmasq.conf`, with the configuration ``DnsmasqConfiguration``
/// renders. Each ``reconcile(_:)`` brings it to the wanted configuration: off stops it; a changed configuration is
/// written, checked with `dnsmasq --test` and the server restarted; a server that died is started again after
/// ``RestartBackoff``'s wait. Its standard error (`log-facility=-`) goes into the station's log, and the last lines
/// explain a failed start (interface missing, port 67 taken, dnsmasq not installed). A dnsmasq left behind by a
/// station that was killed (its pid file, its command line naming our configuration) is stopped before the first start.
public actor DnsmasqSupervisor {
    public struct Report: Sendable, Equatable {
        public var state: DHCPServerState
        /// Why it failed, or what to check; nil while all is well.
        public var message: String?
        public var pid: Int32?
    }

    let paths: DHCPServerPaths
    let program: String?
    let interfaces: InterfaceDirectory
    let logger: Logger
    private var process: ChildProcess?
    private var output: OutputTail?
    private var startedAt: ContinuousClock.Instant?
    private var running: DHCPServerConfiguration?
    private var backoff = RestartBackoff()
    private var nextAttempt: ContinuousClock.Instant?
    private var report = Report(state: .off, message: nil, pid: nil)
    private var leftoverChecked = false

    /// `program`: dnsmasq's path (nil: searched in PATH, /usr/sbin and /sbin).
    public init(paths: DHCPServerPaths, program: String? = nil, interfaces: InterfaceDirectory = InterfaceDirectory(), logger: Logger = Logger(label: "chargekit.router")) {
        self.paths = paths; self.program = program ?? ProgramLocator.find("dnsmasq"); self.interfaces = interfaces; self.logger = logger
    }

    public var status: Report { report }

    /// Brings the server to `wanted` (nil: off) and returns its state.
    @discardableResult
    public func reconcile(_ wanted: DHCPServerConfiguration?) async -> Report {
        let now = ContinuousClock.now
        if !leftoverChecked { leftoverChecked = true; await stopLeftover() }
        guard let wanted else {
            if process != nil || running != nil { await stop(); logger.notice("DHCP server stopped") }
            backoff.reset(); nextAttempt = nil; running = nil
            report = Report(state: .off, message: nil, pid: nil)
            return report
        }
        if wanted != running {
            if process != nil { await stop(); logger.notice("DHCP server configuration changed; restarting dnsmasq") }
            running = wanted; backoff.reset(); nextAttempt = nil
        }
        if let process {
            if process.isRunning {
                if report.state == .starting, let startedAt, now - startedAt >= .seconds(2) {
                    report = Report(state: .running, message: nil, pid: process.processIdentifier)
                    logger.notice("DHCP server running on \(wanted.interface) (\(wanted.address)), pool host numbers \(wanted.poolStart)–\(wanted.poolEnd)")
                }
                return report
            }
            let ran = startedAt.map { Double((now - $0).components.seconds) } ?? 0
            // Its last words may still be in the pipe.
            for _ in 0..<25 where !(output?.finished ?? true) { try? await Task.sleep(for: .milliseconds(20)) }
            let why = explain(output?.lines ?? [], status: process.exitStatus ?? -1, wanted)
            self.process = nil
            failed(why, ranSeconds: ran, now: now)
        }
        if let nextAttempt, now < nextAttempt { return report }
        await start(wanted, now: now)
        return report
    }

    /// Stops the server (SIGTERM, SIGKILL after 3 s) and waits for it; the pid file goes with it.
    public func stop() async {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(3)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        startedAt = nil
        report = Report(state: .off, message: nil, pid: nil)
    }

    /// The current leases from dnsmasq's lease file (none while it has none).
    public func leases() -> DnsmasqLeaseFile.Parsed {
        guard let data = FileManager.default.contents(atPath: paths.leases) else { return .init(leases: [], skipped: 0) }
        return DnsmasqLeaseFile.parse(String(decoding: data, as: UTF8.self))
    }

    private func failed(_ message: String, ranSeconds: Double, now: ContinuousClock.Instant) {
        let wait = backoff.ended(afterRunningSeconds: ranSeconds)
        nextAttempt = now + .milliseconds(Int(wait * 1000))
        report = Report(state: .failed, message: message, pid: nil)
        logger.error("DHCP server: \(message); next attempt in \(Int(wait)) s")
    }

    private func start(_ c: DHCPServerConfiguration, now: ContinuousClock.Instant) async {
        guard let program else {
            return failed("dnsmasq is not installed (Debian package dnsmasq-base); the DHCP server needs it", ranSeconds: 0, now: now)
        }
        if let problem = c.problem { return failed("the settings cannot be used: \(problem)", ranSeconds: 0, now: now) }
        guard interfaces.exists(c.interface) else {
            return failed("the service interface \(c.interface) does not exist: check DHCPServerInterface, the cable and the driver (ip link)",
                          ranSeconds: 0, now: now)
        }
        let text = DnsmasqConfiguration.render(c, paths: paths)
        do {
            try SystemFile.write(text, to: paths.configuration)
        } catch {
            return failed("cannot write \(error)", ranSeconds: 0, now: now)
        }
        do {
            let test = try await SystemCommand(program, ["--test", "--conf-file=\(paths.configuration)"]).run(timeoutSeconds: 10)
            guard test.succeeded else {
                let out = (test.stderr + test.stdout).trimmedWhitespaceAndNewlines
                return failed("dnsmasq refused the configuration \(paths.configuration): \(out)", ranSeconds: 0, now: now)
            }
        } catch {
            return failed("\(error)", ranSeconds: 0, now: now)
        }
        let p: ChildProcess
        do { p = try ChildProcess(program, ["--keep-in-foreground", "--conf-file=\(paths.configuration)"]) } catch {
            return failed("\(error)", ranSeconds: 0, now: now)
        }
        let tail = OutputTail(p.outputFD, logger: logger)
        tail.start()
        process = p; output = tail; startedAt = now
        report = Report(state: .starting, message: nil, pid: p.processIdentifier)
        logger.info("DHCP server starting: \(program) --keep-in-foreground --conf-file=\(paths.configuration) (pid \(p.processIdentifier))")
    }

    /// Turns dnsmasq's last words into what the installer should check.
    func explain(_ lines: [String], status: Int32, _ c: DHCPServerConfiguration) -> String {
        let said = lines.suffix(3).joined(separator: " / ")
        var hint = ""
        if said.contains("Address already in use") || said.contains("Address in use") {
            hint = " — port 67 (or 53) is taken: another DHCP or DNS server runs on this machine (check `ss -lunp`)"
        } else if said.contains("unknown interface") || said.contains("No such device") {
            hint = " — the interface \(c.interface) is missing"
        } else if said.contains("Permission denied") || said.contains("Operation not permitted") {
            hint = " — the station needs root or CAP_NET_BIND_SERVICE, CAP_NET_RAW and CAP_NET_ADMIN for the DHCP server"
        }
        return "dnsmasq exited with status \(status)" + (said.isEmpty ? "" : ": \(said)") + hint
    }

    /// A dnsmasq of this data directory that outlived its station (kill -9): stopped, so that the new one gets port 67.
    private func stopLeftover() async {
        guard let text = try? String(contentsOfFile: paths.pid, encoding: .utf8),
              let pid = Int32(text.trimmedWhitespaceAndNewlines), pid > 1,
              let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return }
        let args = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").map(String.init)
        guard args.first?.hasSuffix("dnsmasq") == true, args.contains("--conf-file=\(paths.configuration)") else { return }
        logger.notice("stopping dnsmasq (pid \(pid)) left behind by an earlier run")
        kill(pid, SIGTERM)
        for _ in 0..<150 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(20)) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}

/// The last lines a child wrote, each also logged; read on a thread of its own for the child's whole life (never the
/// concurrency pool's). Bounded: the last 20 lines are kept, and a line is cut at 4 KiB, so a child that writes without
/// newlines cannot make the station's memory grow.
final class OutputTail: Sendable {
    static let keptLines = 20
    static let maxLineBytes = 4096
    private let fd: Int32
    private let logger: Logger
    private let state = Mutex<(kept: [String], done: Bool)>(([], false))

    /// Takes over `fd` (the read end of the child's output pipe) and closes it when the child closed its end.
    init(_ fd: Int32, logger: Logger) { self.fd = fd; self.logger = logger }

    var lines: [String] { state.withLock { $0.kept } }
    /// The child closed its end (it exited) and everything it wrote was read.
    var finished: Bool { state.withLock { $0.done } }

    func start() {
        OSThread.detach(name: "dnsmasq-output") { [self] in
            var line: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            func emit() {
                let text = String(decoding: line, as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                logger.info("dnsmasq: \(text)")
                state.withLock { s in
                    s.kept.append(text)
                    if s.kept.count > Self.keptLines { s.kept.removeFirst(s.kept.count - Self.keptLines) }
                }
            }
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                for byte in buffer[0..<n] {
                    if byte == 0x0A { emit() } else {
                        line.append(byte)
                        if line.count >= Self.maxLineBytes { emit() }
                    }
                }
            }
            if !line.isEmpty { emit() }
            close(fd)
            state.withLock { $0.done = true }
        }
    }
}

/// Finds a program the way a shell would, also in the administrator's directories (a service's PATH may lack them).
public enum ProgramLocator {
    public static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        let dirs = (path ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The kernel's list of network interfaces (`/sys/class/net`; the directory is injectable for tests).
public struct InterfaceDirectory: Sendable {
    public var path: String
    public init(path: String = "/sys/class/net") { self.path = path }
    public func exists(_ name: String) -> Bool {
        RouterRuleset.isInterfaceName(name) && FileManager.default.fileExists(atPath: "\(path)/\(name)")
    }
}
