#if canImport(Glibc)
import Glibc
#endif
#if canImport(CNIOLinux)
import CNIOLinux  // where the build finds struct sockaddr_in6's members (MemberImportVisibility)
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import V2G

/// One connector's ISO 15118 servers on its PLC interface, as a service of the station's service group: waits for
/// the interface's link-local address, binds the V2GTP server (``V2GTPServer``), then the SDP server (``SDPServer``)
/// that announces it, and serves both until the task is cancelled or the group shuts down gracefully. A connector
/// runtime starts it with `run()` in its task group (or a `ServiceGroup`) and stops it by cancelling that task; a
/// start-up failure (no such interface, no usable link-local address, a port taken) ends `run()` with an error that
/// names the interface.
public struct V2GConnectorServer: Service {
    /// The TLS context of the Plug & Charge server (a name for the adapters that do not import NIOSSL).
    public typealias TLSContext = NIOSSLContext

    public struct Configuration: Sendable {
        /// The PLC modem's network interface (e.g. `eth1`, `plc0`).
        public var interface: String
        /// The V2GTP server's port; nil: a random one of the dynamic range (ISO 15118-2:2014 Table 15).
        public var tcpPort: UInt16?
        public var limits: V2GConnectionTimers.Limits
        public var maximumPayloadBytes: Int
        /// How long to wait at start for a usable link-local address: right after the interface came up, duplicate
        /// address detection (IETF RFC 4862 §5.4, about 1 s by default) keeps it tentative, unbindable.
        public var linkLocalWaitSeconds: Double
        /// Plug & Charge: a second server with TLS (``V2GTLS/serverContext(certificateChainPEM:privateKeyPEM:)``), on
        /// its own dynamic port, offered by SDP to vehicles that ask for TLS; nil: plain TCP only.
        public var tls: NIOSSLContext?

        public init(interface: String, tcpPort: UInt16? = nil, limits: V2GConnectionTimers.Limits = .standard,
                    maximumPayloadBytes: Int = V2G.maximumPayloadBytes, linkLocalWaitSeconds: Double = 10, tls: NIOSSLContext? = nil) {
            self.interface = interface; self.tcpPort = tcpPort; self.limits = limits
            self.maximumPayloadBytes = maximumPayloadBytes; self.linkLocalWaitSeconds = linkLocalWaitSeconds; self.tls = tls
        }
    }

    let configuration: Configuration
    let handler: any V2GSessionHandler
    let events: @Sendable (V2GTransportEvent) -> Void
    let logger: Logger

    public init(configuration: Configuration, handler: any V2GSessionHandler, logger: Logger,
                events: @escaping @Sendable (V2GTransportEvent) -> Void = { _ in }) {
        self.configuration = configuration; self.handler = handler; self.logger = logger; self.events = events
    }

    public func run() async throws {
        guard let address = try await Self.linkLocalAddress(of: configuration.interface, waitingSeconds: configuration.linkLocalWaitSeconds,
                                                            logger: logger) else { return }  // stopped while waiting
        let tcp = try await V2GTPServer.bind(address: address, port: configuration.tcpPort, limits: configuration.limits,
                                             maximumPayloadBytes: configuration.maximumPayloadBytes, logger: logger)
        var bound: V2GTPServer?
        if let context = configuration.tls {
            do {
                bound = try await V2GTPServer.bind(address: address, port: nil, limits: configuration.limits,
                                                       maximumPayloadBytes: configuration.maximumPayloadBytes, tls: context, logger: logger)
            } catch {
                try? await tcp.channel.channel.close()
                throw error
            }
        }
        let tlsServer = bound
        let offer = SDPOffer(address: address.bytes, tcpPort: tcp.port, tlsPort: tlsServer?.port)
        let sdp: SDPServer
        do {
            sdp = try await SDPServer.bind(address: address, offer: offer, logger: logger, events: events)
        } catch {
            try? await tcp.channel.channel.close()
            try? await tlsServer?.channel.channel.close()
            throw error
        }
        let tlsNote = tlsServer.map { ", TLS on port \($0.port)" } ?? ""
        logger.info("ISO 15118: SDP on [ff02::1%\(address.interfaceName)]:\(V2G.sdpPort), V2GTP on [\(address)]:\(tcp.port)\(tlsNote)")
        events(.listening(interface: address.interfaceName, address: address.description, tcpPort: tcp.port, sdpPort: V2G.sdpPort))
        let (handler, events) = (self.handler, self.events)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // One vehicle connection per connector, whichever server it reaches.
                let busy = NIOLockedValueBox(false)
                group.addTask { try? await tcp.serve(handler: handler, events: events, busy: busy) }
                if let tlsServer { group.addTask { try? await tlsServer.serve(handler: handler, events: events, busy: busy) } }
                group.addTask {
                    // A future's wait does not end at cancellation: closing the channel ends it.
                    await withTaskCancellationHandler {
                        try? await sdp.channel.closeFuture.get()
                    } onCancel: {
                        sdp.channel.close(promise: nil)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        try? await sdp.channel.close()
        try? await tcp.channel.channel.close()
        try? await tlsServer?.channel.channel.close()
    }

    /// The interface's usable link-local address, waiting up to `waitingSeconds` while it is tentative or not there
    /// yet; the error says what was found; nil when the task is cancelled or the service group shuts down meanwhile.
    public static func linkLocalAddress(of interface: String, waitingSeconds: Double, logger: Logger) async throws -> V2GLinkLocalAddress? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(waitingSeconds * 1000))
        var reported = false
        while true {
            if Task.isCancelled || Task.isShuttingDownGracefully { return nil }
            let all = V2GLinkLocalAddress.parse(procIfInet6: (try? String(contentsOfFile: "/proc/net/if_inet6", encoding: .utf8)) ?? "")
            let mine = all.filter { $0.interfaceName == interface }
            if let usable = mine.first(where: { $0.state == .usable }) { return usable }
            if ContinuousClock.now >= deadline {
                throw V2GStartError(description: Self.missing(interface, mine: mine, all: all, waitedSeconds: waitingSeconds))
            }
            if !reported {
                reported = true
                logger.info("ISO 15118: waiting for a usable IPv6 link-local address on '\(interface)' (\(mine.isEmpty ? "none yet" : "duplicate address detection runs"))")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    static func missing(_ interface: String, mine: [V2GLinkLocalAddress], all: [V2GLinkLocalAddress], waitedSeconds: Double) -> String {
        let others = Set(all.map(\.interfaceName)).sorted().joined(separator: ", ")
        let prefix = "ISO 15118: network interface '\(interface)' (--interface)"
        if if_nametoindex(interface) == 0 {
            return "\(prefix) does not exist; interfaces with an IPv6 link-local address: \(others.isEmpty ? "none" : others)"
        }
        if let duplicate = mine.first(where: { $0.state == .duplicate }) {
            return "\(prefix): its link-local address \(duplicate) is in use by another node on the link (duplicate address detection failed)"
        }
        if let tentative = mine.first {
            return "\(prefix): its link-local address \(tentative) is still tentative after \(waitedSeconds) s (duplicate address detection)"
        }
        return "\(prefix) has no IPv6 link-local address after \(waitedSeconds) s: is it up, with IPv6 enabled "
            + "(sysctl net.ipv6.conf.\(interface).disable_ipv6=0)? Interfaces with one: \(others.isEmpty ? "none" : others)"
    }
}
