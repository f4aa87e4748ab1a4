#if canImport(Glibc)
import Glibc
#endif
#if canImport(CNIOLinux)
import CNIOLinux  // where the release build finds struct sockaddr_in's members (MemberImportVisibility)
#endif
import EEBUS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The station's own DNS-SD over multicast DNS for EEBUS (SHIP TS 1.0.1 §7.3, RFC 6762/6763), without a system
/// daemon: it announces one service (`_ship._tcp` with SHIP's TXT) and browses for the others. The protocol is EEBUS'
/// pure machines (``MDNSResponder``, ``MDNSBrowser``); this adapter owns the sockets and the timer.
///
/// It coexists with avahi or another responder on the host: the sockets on port 5353 set SO_REUSEADDR and SO_REUSEPORT
/// (RFC 6762 §15), and each program answers for its own names. IPv4 (224.0.0.251) and, where the interfaces have an
/// IPv6 link-local address, IPv6 (ff02::fb); the AAAA records carry the interfaces' IPv6 addresses other than
/// link-local ones (a link-local address means nothing without the interface it was heard on).
///
/// The interfaces are the up, multicast-capable IPv4 ones that are not loopback, or the one named. Each interface has
/// a responder of its own that answers with that interface's addresses only (RFC 6762 §14), told apart by the arrival
/// interface of each packet (IP_PKTINFO). Packets from outside the interfaces' links are ignored (RFC 6762 §11). Every machine runs on one event loop; the discovered
/// services are published as a snapshot (``discovered``) and a stream of snapshots (``changes()``).
public final class MDNSService: Service, Sendable {
    /// The service to announce: `<instanceName>._ship._tcp.local` on `<hostName>.local:<port>` with the TXT pairs.
    public struct Announcement: Sendable, Hashable {
        public var instanceName: String
        public var hostName: String
        public var port: UInt16
        public var txt: DNSSDTXT
        public init(instanceName: String, hostName: String, port: UInt16, txt: DNSSDTXT) {
            self.instanceName = instanceName; self.hostName = hostName; self.port = port; self.txt = txt
        }

        /// A SHIP node's announcement: its TXT record from `ship` (SHIP TS 1.0.1 §7.3.2).
        public init(instanceName: String, hostName: String, port: UInt16, ship: SHIPServiceInfo) throws(SHIPServiceInfoError) {
            self.init(instanceName: instanceName, hostName: hostName, port: port, txt: try DNSSDTXT(ship: ship))
        }
    }

    /// One interface mDNS runs on: its IPv4 address and mask, and the addresses its A and AAAA records carry.
    public struct Interface: Sendable {
        public var device: NIONetworkDevice
        public var name: String { device.name }
        var index: Int { device.interfaceIndex }
        /// The first IPv4 address (where the IPv4 sender binds).
        public var ipv4: String
        /// Every IPv4 address with its mask: a source in one of these subnets is on this link.
        var subnets: [(address: UInt32, mask: UInt32)]
        /// The A and AAAA records' addresses: every IPv4 address, then the IPv6 ones that are not link-local.
        public var addresses: [MDNSAddress]
        /// The interface's IPv6 link-local address (with its scope), where ff02::fb is joined and sent from.
        var ipv6LinkLocal: NIONetworkDevice?
    }

    /// Why mDNS cannot run on the chosen interface.
    public struct InterfaceError: Error, CustomStringConvertible {
        public var description: String
    }

    let announcement: Announcement?
    let serviceType: DNSName
    let interfaceName: String?
    let logger: Logger
    let seed: UInt64
    let state = Mutex(State())

    struct State {
        var discovered: [DNSSDDiscoveredService] = []
        var announcedAs: (instanceName: String, hostName: String)?
        var watchers: [Int: AsyncStream<[DNSSDDiscoveredService]>.Continuation] = [:]
        var nextWatcher = 0
        var engine: Engine?
        var pendingTXT: DNSSDTXT?
    }

    /// `announcement` nil only browses. `interfaceName` nil runs on every LAN interface. `seed` feeds the RFC's random
    /// delays (a fixed one makes a test's timing repeatable).
    public init(announcement: Announcement?, serviceType: DNSName = DNSSDServiceDescription.shipServiceType, interfaceName: String?,
                logger: Logger, seed: UInt64 = .random(in: 0...UInt64.max)) {
        self.announcement = announcement; self.serviceType = serviceType; self.interfaceName = interfaceName
        self.logger = logger; self.seed = seed
    }

    /// The services found now (not ours), sorted by instance name.
    public var discovered: [DNSSDDiscoveredService] { state.withLock { $0.discovered } }

    /// The names the service is announced under once probing is over (they differ from the configured ones after a
    /// conflict, RFC 6762 §9); nil before.
    public var announcedAs: (instanceName: String, hostName: String)? { state.withLock { $0.announcedAs } }

    /// The discovered services, first as they are now, then after every change. Ends when the service stops.
    public func changes() -> AsyncStream<[DNSSDDiscoveredService]> {
        let (stream, continuation) = AsyncStream.makeStream(of: [DNSSDDiscoveredService].self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s in
            s.nextWatcher += 1
            s.watchers[s.nextWatcher] = continuation
            continuation.yield(s.discovered)
            return s.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) } }
        return stream
    }

    /// Announces new TXT pairs (e.g. SHIP's `register` when pairing opens, SHIP TS 1.0.1 §7.3.2); before the start they
    /// replace the configured ones. Throws, naming the pair, what RFC 6763 §6 refuses (and then changes nothing).
    public func update(txt: DNSSDTXT) throws {
        _ = try txt.strings()
        let engine = state.withLock { s in
            s.pendingTXT = txt
            return s.engine
        }
        engine?.loop.execute { engine?.updateTXT(txt) }
    }

    /// The interfaces mDNS runs on; names a missing interface in its error.
    public static func interfaces(named name: String?) throws -> [Interface] {
        let devices = try System.enumerateDevices()
        // One entry per interface, however many addresses it has (a group is joined once per interface).
        var all: [Interface] = []
        for d in devices {
            guard let ip = d.address?.ipAddress, let a = SSDPService.ipv4(ip), let m = d.netmask?.ipAddress.flatMap(SSDPService.ipv4) else { continue }
            guard a >> 24 != 127, d.multicastSupported, let v4 = MDNSAddress(ip) else { continue }
            if let k = all.firstIndex(where: { $0.name == d.name }) {
                all[k].subnets.append((a, m))
                all[k].addresses.insert(v4, at: all[k].subnets.count - 1)
                continue
            }
            let v6 = devices.filter { $0.name == d.name }.compactMap { $0.address?.ipAddress.flatMap(MDNSAddress.init) }
                .filter { $0.isIPv6 && !$0.isIPv6LinkLocal }
            let linkLocal = devices.first { $0.name == d.name && $0.address?.ipAddress.flatMap(MDNSAddress.init)?.isIPv6LinkLocal == true }
            all.append(Interface(device: d, ipv4: ip, subnets: [(a, m)], addresses: [v4] + v6, ipv6LinkLocal: linkLocal))
        }
        guard let name else { return all }
        let chosen = all.filter { $0.device.name == name }
        guard !chosen.isEmpty else {
            throw InterfaceError(description: "EEBUS discovery: network interface '\(name)' has no IPv4 address with multicast; "
                                 + "interfaces with one: \(all.map(\.device.name).joined(separator: ", "))")
        }
        return chosen
    }

    public func run() async throws {
        let interfaces = try Self.interfaces(named: interfaceName)
        guard !interfaces.isEmpty else {
            logger.warning("EEBUS discovery: no IPv4 interface with multicast; energy managers cannot find the station")
            try? await gracefulShutdown()
            return
        }
        // Checked before any socket is opened: a name or TXT pair the wire refuses stops the start with its field named.
        let base = announcement.map {
            DNSSDServiceDescription(instanceName: $0.instanceName, serviceType: serviceType, hostName: $0.hostName, port: $0.port,
                                    txt: $0.txt, addresses: interfaces.flatMap(\.addresses))
        }
        try base?.validate()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let engine = Engine(loop: loop, interfaces: interfaces, serviceType: serviceType, seed: seed, logger: logger) { [weak self] list in
            self?.publish(list)
        } established: { [weak self] names in
            self?.state.withLock { $0.announcedAs = names }
        }
        let handler = { @Sendable () -> Inbound in Inbound(engine: engine) }
        let reuse = NIOBSDSocket.Option(rawValue: SO_REUSEPORT)
        let receiver = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(reuse), value: 1)
            .channelOption(.receivePacketInfo, value: true)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) } }
            .bind(host: "0.0.0.0", port: Int(MDNSConstants.port)).get()
        let group = try SocketAddress(ipAddress: MDNSConstants.ipv4Group, port: Int(MDNSConstants.port))
        var senders: [(index: Int, channel: any Channel)] = []
        do {
            for i in interfaces {
                try await (receiver as! any MulticastChannel).joinGroup(group, device: i.device).get()
                // RFC 6762 §11: sent from port 5353 with IP TTL 255, out of the interface itself.
                let sender = try await DatagramBootstrap(group: loop)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(.socketOption(reuse), value: 1)
                    .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) } }
                    .bind(host: i.ipv4, port: Int(MDNSConstants.port)).get()
                if let options = sender as? any SocketOptionProvider, case .v4(let v4) = i.device.address {
                    try await options.setIPMulticastIF(v4.address.sin_addr).get()
                    try await options.setIPMulticastTTL(255).get()
                }
                senders.append((i.index, sender))
            }
        } catch {
            for c in senders { try? await c.channel.close() }
            try? await receiver.close()
            throw error
        }
        let (receiver6, senders6) = await openIPv6(interfaces, loop: loop, handler: handler)
        senders += senders6
        let on = interfaces.map { "\($0.name) (\($0.ipv4))" }.joined(separator: ", ")
        let what = base.map { "announcing '\($0.instanceName)' on port \($0.port)" } ?? "browsing only"
        logger.info("EEBUS discovery: mDNS on \(on), \(what)")
        let bound = Dictionary(grouping: senders, by: \.index).mapValues { $0.map(\.channel) }
        let receivers = [receiver] + (receiver6.map { [$0] } ?? [])
        // On the loop, so that a TXT update from now on is queued behind the start (update(txt:) sees the engine).
        loop.execute {
            let txt = self.state.withLock { s in
                s.engine = engine
                return s.pendingTXT
            }
            var service = base
            if let txt { service?.txt = txt }
            engine.start(service: service, receivers: receivers, senders: bound)
        }
        try? await gracefulShutdown()  // returns on graceful shutdown or when the task is cancelled
        state.withLock { $0.engine = nil }
        let goodbye = try? await loop.submit { engine.stop() }.get()
        for future in goodbye ?? [] { try? await future.get() }
        for c in senders { try? await c.channel.close() }
        try? await receiver.close()
        try? await receiver6?.close()
        state.withLock { s in
            for w in s.watchers.values { w.finish() }
            s.watchers = [:]
        }
    }

    /// IPv6 as well where the interfaces have a link-local address (RFC 6762 §3: ff02::fb): a receiver on [::]:5353
    /// (IPv6 only) that joins the group on each, and per interface a sender bound to its link-local address, port 5353,
    /// hop limit 255 (§11). Without IPv6 (disabled, no address) mDNS runs on IPv4 alone, and the log says why.
    func openIPv6(_ interfaces: [Interface], loop: any EventLoop,
                  handler: @escaping @Sendable () -> Inbound) async -> (receiver: (any Channel)?, senders: [(index: Int, channel: any Channel)]) {
        let usable = interfaces.filter { $0.ipv6LinkLocal != nil }
        guard !usable.isEmpty else { return (nil, []) }
        var receiver: (any Channel)?
        var senders: [(index: Int, channel: any Channel)] = []
        func bootstrap() -> DatagramBootstrap {
            DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
                .channelOption(ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 1)
                .channelOption(.receivePacketInfo, value: true)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) } }
        }
        do {
            let group = try SocketAddress(ipAddress: MDNSConstants.ipv6Group, port: Int(MDNSConstants.port))
            let r = try await bootstrap().bind(host: "::", port: Int(MDNSConstants.port)).get()
            receiver = r
            for i in usable {
                guard let device = i.ipv6LinkLocal, var local = device.address else { continue }
                try await (r as! any MulticastChannel).joinGroup(group, device: device).get()
                local.port = Int(MDNSConstants.port)
                let sender = try await bootstrap().bind(to: local).get()
                if let options = sender as? any SocketOptionProvider {
                    try await options.setIPv6MulticastIF(CUnsignedInt(device.interfaceIndex)).get()
                    try await options.setIPv6MulticastHops(255).get()
                }
                senders.append((i.index, sender))
            }
            return (receiver, senders)
        } catch {
            logger.notice("EEBUS discovery: no multicast DNS over IPv6 (\(error)); IPv4 only")
            for c in senders { try? await c.channel.close() }
            try? await receiver?.close()
            return (nil, [])
        }
    }

    func publish(_ list: [DNSSDDiscoveredService]) {
        state.withLock { s in
            guard s.discovered != list else { return }
            s.discovered = list
            for w in s.watchers.values { w.yield(list) }
        }
    }

    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let engine: Engine
        init(engine: Engine) { self.engine = engine }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            engine.received(Array(envelope.data.readableBytesView), from: envelope.remoteAddress,
                            interfaceIndex: envelope.metadata?.packetInfo?.interfaceIndex)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}
