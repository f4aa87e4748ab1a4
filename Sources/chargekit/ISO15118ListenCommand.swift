import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
import Logging
import ServiceLifecycle
import Transport
import UnixSignals
import V2G

/// `chargekit iso15118-listen --interface IF` — the installer's check of the PLC path (issue 27): runs the connector's
/// SDP and V2GTP servers on the interface, as the station will, and prints what a vehicle sends as JSON lines: each
/// discovery request and the answer, each V2GTP message (payload type, length, first bytes), each refusal. It answers
/// no V2G message (there is no SECC behind it), so a vehicle stops after its supportedAppProtocolReq and repeats.
struct ISO15118ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso15118-listen",
        abstract: "Run the ISO 15118 SDP and V2GTP servers on a PLC interface and print what vehicles send.",
        discussion: """
            Prints one JSON object a line: listening (address and TCP port), sdp (a discovery request and the answer), \
            sdpIgnored, connected, refused, frame (payloadType, length, head: the first 16 bytes in hex), frameIgnored, \
            closed (with the reason). Stops after --seconds (0: at Ctrl-C).
            """,
        shouldDisplay: false)

    @Option(help: "The PLC modem's network interface.")
    var interface: String
    @Option(name: .customLong("tcp-port"), help: "The V2GTP server's port (default: a random one of 49152-65535).")
    var tcpPort: Int?
    @Option(help: "How long to run, in seconds (0: until Ctrl-C).")
    var seconds: Int = 0
    @Option(name: .customLong("setup-timeout-ms"), help: "V2G_SECC_CommunicationSetup_Timeout in ms (standard 20000).")
    var setupTimeoutMs: Int = 20_000
    @Option(name: .customLong("sequence-timeout-ms"), help: "V2G_SECC_Sequence_Timeout in ms (standard 60000).")
    var sequenceTimeoutMs: Int = 60_000
    @Option(name: .customLong("max-payload-bytes"), help: "The largest V2GTP payload accepted.")
    var maxPayloadBytes: Int = V2G.maximumPayloadBytes
    @Option(name: .customLong("link-local-wait-seconds"), help: "How long to wait for the interface's link-local address.")
    var linkLocalWaitSeconds: Double = 10

    func validate() throws {
        if let tcpPort, !(1...65_535).contains(tcpPort) { throw ValidationError("--tcp-port \(tcpPort): allowed 1...65535") }
        guard (0...86_400).contains(seconds) else { throw ValidationError("--seconds \(seconds): allowed 0...86400") }
        guard (100...600_000).contains(setupTimeoutMs) else { throw ValidationError("--setup-timeout-ms \(setupTimeoutMs): allowed 100...600000") }
        guard (100...600_000).contains(sequenceTimeoutMs) else { throw ValidationError("--sequence-timeout-ms \(sequenceTimeoutMs): allowed 100...600000") }
        guard (0...16_777_216).contains(maxPayloadBytes) else { throw ValidationError("--max-payload-bytes \(maxPayloadBytes): allowed 0...16777216") }
        guard (0...600).contains(linkLocalWaitSeconds) else { throw ValidationError("--link-local-wait-seconds \(linkLocalWaitSeconds): allowed 0...600") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "chargekit.iso15118-listen")
        let server = V2GConnectorServer(
            configuration: .init(interface: interface, tcpPort: tcpPort.map(UInt16.init),
                                 limits: .init(communicationSetupNanoseconds: UInt64(setupTimeoutMs) * 1_000_000,
                                               sequenceNanoseconds: UInt64(sequenceTimeoutMs) * 1_000_000),
                                 maximumPayloadBytes: maxPayloadBytes, linkLocalWaitSeconds: linkLocalWaitSeconds),
            handler: Watcher(), logger: logger, events: { Self.print($0) })
        let seconds = self.seconds
        let timer = ClosureService {
            await cancelWhenGracefulShutdown {
                if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) } else { try? await gracefulShutdown() }
            }
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server), .init(service: timer, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch { throw fail("\(error)") }
    }

    /// Answers nothing: the command watches.
    struct Watcher: V2GSessionHandler {
        func sessionOpened(_ peer: V2GPeer) async {}
        func handle(_ frame: V2GTPFrame, from peer: V2GPeer) async -> V2GSessionReply { .noResponse }
        func sessionClosed(_ peer: V2GPeer, reason: V2GCloseReason) async {}
    }

    struct Line: Encodable {
        var event: String
        var interface: String?
        var address: String?
        var tcpPort: Int?
        var sdpPort: Int?
        var from: String?
        var peer: String?
        var connection: UInt64?
        var security: String?
        var transport: String?
        var answer: Answer?
        var payloadType: String?
        var length: Int?
        var head: String?
        var reason: String?
    }

    struct Answer: Encodable {
        var address: String
        var port: Int
        var security: String
        var transport: String
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func line(_ event: V2GTransportEvent) -> Line {
        switch event {
        case .listening(let interface, let address, let tcpPort, let sdpPort):
            return Line(event: "listening", interface: interface, address: address, tcpPort: Int(tcpPort), sdpPort: Int(sdpPort))
        case .discovery(let from, let request, let response):
            return Line(event: "sdp", from: from, security: request.security.description, transport: request.transport.description,
                        answer: Answer(address: V2GLinkLocalAddress.text(response.address), port: Int(response.port),
                                       security: response.security.description, transport: response.transport.description))
        case .discoveryIgnored(let from, let count, let head, let reason):
            return Line(event: "sdpIgnored", from: from, length: count, head: hex(head), reason: reason)
        case .connected(let peer):
            return Line(event: "connected", peer: peer.description, connection: peer.connection)
        case .connectionRefused(let address, let port, let reason):
            return Line(event: "refused", peer: "[\(address)]:\(port)", reason: reason)
        case .frame(let peer, let frame):
            return Line(event: "frame", connection: peer.connection, payloadType: frame.payloadType.hex, length: frame.payload.count,
                        head: hex(frame.payload.prefix(16)))
        case .frameIgnored(let peer, let reason):
            return Line(event: "frameIgnored", connection: peer.connection, reason: reason)
        case .closed(let peer, let reason):
            return Line(event: "closed", connection: peer.connection, reason: reason.description)
        }
    }

    static func print(_ event: V2GTransportEvent) {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? e.encode(line(event)) else { return }
        StandardStream.output.write(data + Data("\n".utf8))
    }
}
