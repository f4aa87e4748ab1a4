#if canImport(Glibc)
import Glibc
#endif
#if canImport(CNIOLinux)
import CNIOLinux  // where the release build finds struct sockaddr_in's members (MemberImportVisibility)
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import NIOPosix
import SEMP
import ServiceLifecycle

/// The station's SSDP presence for the Sunny Home Manager (issue 25 item 1): answers M-SEARCH on
/// 239.255.255.250:1900 and advertises `ssdp:alive` on each LAN interface — at start (twice: UDP may lose one, as UPnP
/// Device Architecture 1.0 §1.1.2 advises), then every half `max-age` — and `ssdp:byebye` when it stops. The
/// messages are SEMP's (``SSDP``); this adapter only owns the sockets.
///
/// The interfaces are the up, multicast-capable IPv4 ones that are not loopback, or the one named by
/// `--semp-interface`. Each advertisement's `LOCATION` carries the address of the interface it goes out on, and a
/// search is answered with the address of the interface on the searcher's subnet.
public struct SSDPService: Service {
    let device: SSDP.Device
    let httpPort: Int
    let interfaceName: String?
    /// Ends once the SEMP HTTP listener is bound: nothing is announced or answered before the description it points
    /// at can be fetched (a manager that hears the alive of a restarting station would otherwise find nobody there).
    let httpReady: AsyncStream<Void>
    let logger: Logger

    public init(device: SSDP.Device, httpPort: Int, interfaceName: String?, httpReady: AsyncStream<Void>, logger: Logger) {
        self.device = device; self.httpPort = httpPort; self.interfaceName = interfaceName; self.httpReady = httpReady
        self.logger = logger
    }

    public struct Interface: Sendable {
        var device: NIONetworkDevice
        var address: UInt32
        var mask: UInt32
        var ip: String
    }

    /// The interfaces SSDP runs on; names a missing `--semp-interface` in its error (the App checks it before it starts).
    public static func interfaces(named name: String?) throws -> [Interface] {
        let all = try System.enumerateDevices().compactMap { d -> Interface? in
            guard let ip = d.address?.ipAddress, let a = ipv4(ip), let m = d.netmask?.ipAddress.flatMap(ipv4) else { return nil }
            guard a >> 24 != 127, d.multicastSupported else { return nil }
            return Interface(device: d, address: a, mask: m, ip: ip)
        }
        guard let name else { return all }
        let chosen = all.filter { $0.device.name == name }
        guard !chosen.isEmpty else {
            throw SSDPInterfaceError(description: "SMA interface: network interface '\(name)' (--semp-interface) has no IPv4 address "
                                     + "with multicast; interfaces with one: \(all.map(\.device.name).joined(separator: ", "))")
        }
        return chosen
    }

    static func ipv4(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts { guard let b = UInt8(p) else { return nil }; v = v << 8 | UInt32(b) }
        return v
    }

    func location(_ i: Interface) -> String { "http://\(i.ip):\(httpPort)/description.xml" }

    public func run() async throws {
        for await _ in httpReady.cancelOnGracefulShutdown() { break }
        guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
        let interfaces = try Self.interfaces(named: interfaceName)
        guard !interfaces.isEmpty else {
            logger.warning("SMA interface: no IPv4 interface with multicast to announce on; the Sunny Home Manager cannot find the station")
            try? await gracefulShutdown()
            return
        }
        let (stream, continuation) = AsyncStream.makeStream(of: (bytes: [UInt8], from: SocketAddress).self, bufferingPolicy: .bufferingNewest(256))
        let group = MultiThreadedEventLoopGroup.singleton
        let receiver = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbound(continuation: continuation)) }
            }
            .bind(host: "0.0.0.0", port: SSDP.port).get()
        let groupAddress = try SocketAddress(ipAddress: SSDP.multicastAddress, port: SSDP.port)
        var senders: [(Interface, any Channel)] = []
        // The group is joined once per interface: an interface with two IPv4 addresses is listed twice, and a second
        // membership of the same interface fails (EADDRINUSE). Each address still announces itself.
        var joined: Set<String> = []
        for i in interfaces {
            if joined.insert(i.device.name).inserted {
                try await (receiver as! any MulticastChannel).joinGroup(groupAddress, device: i.device).get()
            }
            let sender = try await DatagramBootstrap(group: group).bind(host: i.ip, port: 0).get()
            if let options = sender as? any SocketOptionProvider, case .v4(let v4) = i.device.address {
                try await options.setIPMulticastIF(v4.address.sin_addr).get()
                try await options.setIPMulticastTTL(4).get()  // UDA 1.0 §1.1.2: TTL default 4
            }
            senders.append((i, sender))
        }
        logger.info("SMA interface: SSDP on \(interfaces.map { "\($0.device.name) (\($0.ip))" }.joined(separator: ", ")), description at \(location(interfaces[0]))")
        let device = self.device
        let notify: @Sendable (Bool) -> Void = { [senders] alive in
            for (i, channel) in senders {
                for message in SSDP.notifications(device: device, location: "http://\(i.ip):\(self.httpPort)/description.xml", alive: alive) {
                    channel.writeAndFlush(AddressedEnvelope(remoteAddress: groupAddress, data: channel.allocator.buffer(string: message)), promise: nil)
                }
            }
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    var round = 0
                    while !Task.isCancelled {
                        notify(true)
                        round += 1
                        // The second alive follows after 2 s, then one every half max-age.
                        do { try await Task.sleep(for: .seconds(round == 1 ? 2 : SSDP.maxAgeSeconds / 2)) } catch { return }
                    }
                }
                tasks.addTask {
                    for await d in stream { self.answer(d.bytes, from: d.from, receiver: receiver, interfaces: interfaces) }
                }
                await tasks.next()
                tasks.cancelAll()
            }
        }
        continuation.finish()
        notify(false)
        for (_, channel) in senders { try? await channel.close() }
        try? await receiver.close()
    }

    /// Answers a search this device matches, after the random delay its MX allows (UDA 1.0 §1.2.3), from the
    /// multicast socket to the searcher.
    func answer(_ bytes: [UInt8], from: SocketAddress, receiver: any Channel, interfaces: [Interface]) {
        guard let message = SSDP.parse(bytes), let search = SSDP.search(message, device: device),
              let ip = from.ipAddress.flatMap(Self.ipv4) else { return }
        let via = interfaces.first { $0.address & $0.mask == ip & $0.mask } ?? interfaces[0]
        let date = SSDP.httpDate(secondsSince1970: Int64(Date().timeIntervalSince1970))
        let replies = SSDP.responses(search.targets, device: device, location: location(via), date: date)
        let delayMs = search.mxSeconds == 0 ? 0 : Int64.random(in: 0...Int64(search.mxSeconds * 1000))
        receiver.eventLoop.scheduleTask(in: .milliseconds(delayMs)) {
            for r in replies {
                receiver.writeAndFlush(AddressedEnvelope(remoteAddress: from, data: receiver.allocator.buffer(string: r)), promise: nil)
            }
        }
    }

    /// Why SSDP cannot run on the chosen interface.
    public struct SSDPInterfaceError: Error, CustomStringConvertible {
        public var description: String
    }

    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<(bytes: [UInt8], from: SocketAddress)>.Continuation
        init(continuation: AsyncStream<(bytes: [UInt8], from: SocketAddress)>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            continuation.yield((Array(envelope.data.readableBytesView), envelope.remoteAddress))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}
