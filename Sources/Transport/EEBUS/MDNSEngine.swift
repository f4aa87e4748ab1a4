import EEBUS
import Logging
import NIOCore

extension MDNSService {
    /// The responder and browser machines with their sockets and timer. Confined to one event loop: every method runs
    /// on `loop` (the channels' handlers are on it too), which is why it may be shared as `@unchecked Sendable`.
    final class Engine: @unchecked Sendable {
        let loop: any EventLoop
        let interfaces: [Interface]
        let logger: Logger
        let publish: @Sendable ([DNSSDDiscoveredService]) -> Void
        let established: @Sendable ((instanceName: String, hostName: String)) -> Void
        /// The machines' clock: seconds since the engine was made, on the monotonic clock.
        let epoch = NIODeadline.now()
        /// One responder per interface (by index), each answering with that interface's addresses only (RFC 6762 §14:
        /// a peer on one LAN must not be handed the address the station has on another, e.g. the service port's).
        var responders: [Int: MDNSResponder] = [:]
        var browser: MDNSBrowser
        /// The sockets bound to the wildcard address (IPv4, and IPv6 if it runs): replies go out from the one of the
        /// sender's family.
        var receivers: [any Channel] = []
        /// Per interface index its senders (IPv4, IPv6), bound to its addresses and port 5353.
        var senders: [Int: [any Channel]] = [:]
        let group4 = try! SocketAddress(ipAddress: MDNSConstants.ipv4Group, port: Int(MDNSConstants.port))
        let group6 = try! SocketAddress(ipAddress: MDNSConstants.ipv6Group, port: Int(MDNSConstants.port))
        var timer: Scheduled<Void>?
        var stopped = false
        let seed: UInt64

        init(loop: any EventLoop, interfaces: [Interface], serviceType: DNSName, seed: UInt64, logger: Logger,
             publish: @escaping @Sendable ([DNSSDDiscoveredService]) -> Void,
             established: @escaping @Sendable ((instanceName: String, hostName: String)) -> Void) {
            self.loop = loop; self.interfaces = interfaces; self.logger = logger; self.publish = publish
            self.established = established; self.seed = seed
            browser = MDNSBrowser(serviceType: serviceType, seed: seed ^ 0xB40_B5E)
        }

        var now: Double { Double((NIODeadline.now() - epoch).nanoseconds) / 1e9 }

        /// Starts a responder per interface for `service` (with that interface's addresses) and the browser.
        func start(service: DNSSDServiceDescription?, receivers: [any Channel], senders: [Int: [any Channel]]) {
            loop.preconditionInEventLoop()
            self.receivers = receivers; self.senders = senders
            if let service {
                for i in interfaces {
                    var s = service
                    s.addresses = i.addresses
                    var r = MDNSResponder(service: s, seed: seed ^ UInt64(truncatingIfNeeded: i.index))
                    let actions = r.start(nowSeconds: now)
                    responders[i.index] = r
                    perform(actions, on: i.index, replyTo: nil)
                }
            }
            perform(browser.start(nowSeconds: now))
            reschedule()
        }

        /// Sends the goodbyes and stops; the futures complete once they are written.
        func stop() -> [EventLoopFuture<Void>] {
            loop.preconditionInEventLoop()
            stopped = true
            timer?.cancel()
            var futures: [EventLoopFuture<Void>] = []
            for index in responders.keys.sorted() {
                guard var r = responders[index] else { continue }
                let actions = r.stop(nowSeconds: now)
                responders[index] = r
                futures += perform(actions, on: index, replyTo: nil)
            }
            return futures
        }

        func updateTXT(_ txt: DNSSDTXT) {
            loop.preconditionInEventLoop()
            guard !stopped else { return }
            for index in responders.keys.sorted() {
                guard var r = responders[index] else { continue }
                var s = r.service
                s.txt = txt
                let actions = r.update(s, nowSeconds: now)
                responders[index] = r
                perform(actions, on: index, replyTo: nil)
            }
            reschedule()
        }

        /// A datagram from any of the sockets, with the index of the interface it came in on where the socket says so
        /// (IP_PKTINFO); otherwise the interface is the one whose subnet holds the source, and an IPv6 packet without
        /// it reaches every responder. Sources outside the interfaces' links are ignored (RFC 6762 §11), and a packet
        /// that does not read as DNS is dropped (logged at debug: a LAN can carry anything on 5353).
        func received(_ bytes: [UInt8], from source: SocketAddress, interfaceIndex: Int?) {
            loop.preconditionInEventLoop()
            guard !stopped, isOnLink(source) else { return }
            let message: DNSMessage
            do { message = try DNSMessage(decoding: bytes) } catch {
                logger.debug("EEBUS discovery: ignored a packet from \(source): \(error)")
                return
            }
            let port = UInt16(clamping: source.port ?? 0)
            let index = interfaceIndex.flatMap { i in responders[i] == nil ? nil : i } ?? interface(of: source)
            for i in responders.keys.sorted() where index == nil || i == index {
                guard var r = responders[i] else { continue }
                let actions = r.received(message, fromPort: port, nowSeconds: now)
                responders[i] = r
                perform(actions, on: i, replyTo: source)
            }
            perform(browser.received(message, nowSeconds: now))
            reschedule()
        }

        /// The interface whose IPv4 subnet holds `source`; nil for IPv6 (a link-local source names no interface).
        func interface(of source: SocketAddress) -> Int? {
            guard let ip = source.ipAddress.flatMap(SSDPService.ipv4) else { return nil }
            return interfaces.first { $0.subnets.contains { $0.address & $0.mask == ip & $0.mask } }?.index
        }

        /// RFC 6762 §11: only packets from the local link count — an IPv4 source on one of the interfaces' subnets, an
        /// IPv6 source that is link-local or shares a /64 with one of their addresses.
        func isOnLink(_ source: SocketAddress) -> Bool {
            guard let text = source.ipAddress else { return false }
            if let ip = SSDPService.ipv4(text) { return interfaces.contains { $0.subnets.contains { $0.address & $0.mask == ip & $0.mask } } }
            guard let a = MDNSAddress(text.split(separator: "%").first.map(String.init) ?? text), a.isIPv6 else { return false }
            return a.isIPv6LinkLocal || interfaces.contains { $0.addresses.contains { $0.isIPv6 && $0.octets.prefix(8) == a.octets.prefix(8) } }
        }

        func tick() {
            loop.preconditionInEventLoop()
            guard !stopped else { return }
            let t = now
            for index in responders.keys.sorted() {
                guard var r = responders[index], let due = r.nextDeadlineSeconds, due <= t else { continue }
                let actions = r.tick(nowSeconds: t)
                responders[index] = r
                perform(actions, on: index, replyTo: nil)
            }
            if let due = browser.nextDeadlineSeconds, due <= t { perform(browser.tick(nowSeconds: t)) }
            reschedule()
        }

        func reschedule() {
            timer?.cancel()
            timer = nil
            let deadlines = responders.values.compactMap(\.nextDeadlineSeconds) + [browser.nextDeadlineSeconds].compactMap { $0 }
            guard !stopped, let next = deadlines.min() else { return }
            let deadline = epoch + .nanoseconds(Int64(max(0, next) * 1e9))
            timer = loop.scheduleTask(deadline: deadline) { [self] in tick() }
        }

        /// Carries out a responder's actions: its multicasts go out of its own interface only.
        @discardableResult
        func perform(_ actions: [MDNSResponder.Action], on index: Int, replyTo source: SocketAddress?) -> [EventLoopFuture<Void>] {
            var futures: [EventLoopFuture<Void>] = []
            for action in actions {
                switch action {
                case .multicast(let m): futures += multicast(m, on: senders[index] ?? [])
                case .reply(let m):
                    if let source, let receiver = receivers.first(where: { $0.localAddress?.protocol == source.protocol }), let bytes = encode(m) {
                        futures.append(receiver.writeAndFlush(AddressedEnvelope(remoteAddress: source, data: receiver.allocator.buffer(bytes: bytes))))
                    }
                case .renamed(let instance, let host):
                    logger.warning("EEBUS discovery: the name was taken on the network; now '\(instance)' on \(host).local (RFC 6762 §9)")
                case .established(let instance, let host):
                    logger.info("EEBUS discovery: announced '\(instance)' on \(host).local")
                    established((instance, host))
                }
            }
            return futures
        }

        /// Carries out the browser's actions: its queries go out of every interface.
        func perform(_ actions: [MDNSBrowser.Action]) {
            var changed = false
            for action in actions {
                switch action {
                case .multicast(let m): _ = multicast(m, on: senders.keys.sorted().flatMap { senders[$0] ?? [] })
                case .added(let s):
                    changed = true
                    logger.info("EEBUS discovery: found '\(s.instanceName)' at \(s.hostName):\(s.port)")
                case .updated: changed = true
                case .removed(let name):
                    changed = true
                    logger.info("EEBUS discovery: '\(name)' is gone")
                }
            }
            if changed {
                // Our own service, heard through the multicast loop, is not listed.
                let own = Set(responders.values.map(\.service.instance))
                publish(browser.discovered.filter { !own.contains($0.instance) })
            }
        }

        func multicast(_ m: DNSMessage, on channels: [any Channel]) -> [EventLoopFuture<Void>] {
            guard let bytes = encode(m) else { return [] }
            return channels.map { s in
                let group = s.localAddress?.protocol == .inet6 ? group6 : group4
                return s.writeAndFlush(AddressedEnvelope(remoteAddress: group, data: s.allocator.buffer(bytes: bytes)))
            }
        }

        func encode(_ m: DNSMessage) -> [UInt8]? {
            do { return try m.encoded() } catch {
                logger.error("EEBUS discovery: could not write a DNS message: \(error)")
                return nil
            }
        }
    }
}
