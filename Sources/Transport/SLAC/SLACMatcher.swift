#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import SLAC
import HostServices

/// What the station's SLAC reports to the connector's runtime.
public enum SLACEvent: Equatable, Sendable {
    /// The EV is matched: its MAC, and the network (NMK, NID) it was given; the HLC session (SDP, V2GTP) may start.
    case matched(SLACMatch)
    case failed(SLACFailure)
}

/// The EVSE's SLAC on one connector's powerline modem: `EVSEMatching` driven by a packet socket on the modem's
/// interface (`plcInterface` of the board description), a reader thread and real timers (ContinuousClock).
///
/// The connector's runtime calls `startMatching()` when the vehicle is plugged and the pilot shows state B with 5 %,
/// `stopMatching()` on unplug, `linkEstablished()` when the matched EV's first SDP request arrived (it ends
/// TT_match_join), and reads `events`. `close()` ends the reader; a matcher is not restarted after it.
public actor SLACMatcher {
    public nonisolated let events: AsyncStream<SLACEvent>
    public nonisolated let interface: String
    /// The modem interface's MAC address: the EVSE's address in every SLAC message.
    public nonisolated let address: MACAddress
    private let continuation: AsyncStream<SLACEvent>.Continuation
    private let socket: PacketSocket
    private let logger: Logger
    private var machine: EVSEMatching
    private var timers: [SLACTimer: (token: UInt64, task: Task<Void, Never>)] = [:]
    private var nextToken: UInt64 = 0
    private var reader: Task<Void, Never>?

    /// Opens the packet socket on `interface`; throws a `PacketSocketError` that names the interface and what to check
    /// (the interface does not exist, the station lacks CAP_NET_RAW), or a `SLACConfigurationError`.
    /// `modemMAC`: where CM_SET_KEY.REQ goes — Qualcomm's local management address by default; a modem that only
    /// answers on its own address gets that one.
    public init(interface: String, attenuationThresholdDB: Double = SLACConfiguration.defaultAttenuationThresholdDB,
                slacInitMilliseconds: Int = SLACTiming.slacInitDefaultMilliseconds, modemMAC: MACAddress = .localModem, logger: Logger) throws {
        let socket = try PacketSocket(interface: interface)
        let configuration = try SLACConfiguration(evseMAC: socket.address, modemMAC: modemMAC, attenuationThresholdDB: attenuationThresholdDB,
                                                  slacInitMilliseconds: slacInitMilliseconds)
        self.socket = socket
        self.interface = interface
        self.address = socket.address
        self.logger = logger
        machine = EVSEMatching(configuration: configuration, randomBytes: { count in
            var generator = SystemRandomNumberGenerator()  // getrandom(2): a cryptographic source
            return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        })
        let (stream, continuation) = AsyncStream.makeStream(of: SLACEvent.self, bufferingPolicy: .bufferingNewest(16))
        events = stream
        self.continuation = continuation
    }

    /// The machine's phase (for diagnostics and tests).
    public var phase: EVSEMatching.Phase { machine.phase }

    /// Vehicle plugged, state B with 5 %: a fresh key on the modem, then the matching.
    public func startMatching() {
        startReader()
        execute(machine.start())
    }

    /// Unplugged: the matching ends and the modem gets a new key.
    public func stopMatching() { execute(machine.stop()) }

    /// The matched EV talks on the network (its first SDP request): TT_match_join is satisfied.
    public func linkEstablished() { execute(machine.linkEstablished()) }

    /// Stops timers and the reader and closes the socket; `events` finishes.
    public func close() {
        for (_, timer) in timers { timer.task.cancel() }
        timers.removeAll()
        socket.close()
        reader = nil
        continuation.finish()
    }

    private func startReader() {
        guard reader == nil else { return }
        let socket = self.socket
        let (frames, input) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(256))
        OSThread.detach(name: "slac-\(interface)") {
            while let frame = socket.receive() { input.yield(frame) }
            input.finish()
        }
        reader = Task { [weak self] in
            for await frame in frames {
                guard let self else { return }
                await self.received(frame)
            }
        }
    }

    private func received(_ frame: [UInt8]) { execute(machine.receive(bytes: frame)) }

    private func fire(_ timer: SLACTimer, token: UInt64) {
        guard timers[timer]?.token == token else { return }
        timers[timer] = nil
        execute(machine.timerExpired(timer))
    }

    private func execute(_ actions: [SLACAction]) {
        for action in actions {
            switch action {
            case .send(let frame):
                do { try socket.send(frame.encoded()) } catch { logger.warning("\(error)") }
            case .startTimer(let timer, let milliseconds):
                timers[timer]?.task.cancel()
                nextToken += 1
                let token = nextToken
                let task = Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(milliseconds), clock: .continuous)
                    guard !Task.isCancelled else { return }
                    await self?.fire(timer, token: token)
                }
                timers[timer] = (token, task)
            case .stopTimer(let timer):
                timers.removeValue(forKey: timer)?.task.cancel()
            case .matched(let match):
                logger.info("SLAC matched", metadata: ["interface": "\(interface)", "ev": "\(match.evMAC)", "nid": "\(match.nid)",
                                                       "attenuation_db": "\(match.averageAttenuationDB)"])
                continuation.yield(.matched(match))
            case .failed(let failure):
                logger.warning("SLAC failed: \(failure)", metadata: ["interface": "\(interface)", "reason": "\(failure.code)"])
                continuation.yield(.failed(failure))
            case .log(let line):
                logger.debug("\(line)", metadata: ["interface": "\(interface)"])
            case .ignored(let line):
                logger.info("\(line)", metadata: ["interface": "\(interface)"])
            }
        }
    }
}
