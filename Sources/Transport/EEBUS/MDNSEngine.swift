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
        var responder: MDNSResponder?
        var browser: MDNSBrowser
        /// The sockets bound to the wildcard address (IPv4, and IPv6 if it runs): replies go out from the one of the
        /// sender's family.
        var receivers: [any Channel] = []
        /// One per interface and family, bound to the interface's address and port 5353; multicasts go out of each.
        var senders: [any Channel] = []
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

        func start(service: DNSSDServiceDescription?, receivers: [any Channel], senders: [any Channel]) {
            loop.preconditionInEventLoop()
            self.receivers = receivers; self.senders = senders
            if let service {
                var r = MDNSResponder(service: service, seed: seed)
                perform(r.start(nowSeconds: now), replyTo: nil)
                responder = r
            }
            perform(browser.start(nowSeconds: now))
            reschedule()
        }

        /// Sends the goodbye and stops; the futures complete once it is written.
        func stop() -> [EventLoopFuture<Void>] {
            loop.preconditionInEventLoop()
            stopped = true
            timer?.cancel()
            guard var r = responder else { return [] }
            let actions = r.stop(nowSeconds: now)
            responder = r
            return perform(actions, replyTo: nil)
        }

        func updateTXT(_ txt: DNSSDTXT) {
            loop.preconditionInEventLoop()
            guard !stopped, var r = responder else { return }
            var s = r.service
            s.txt = txt
            let actions = r.update(s, nowSeconds: now)
            responder = r
            perform(actions, replyTo: nil)
            reschedule()
        }

        /// A datagram from any of the sockets. Sources outside the interfaces' subnets are ignored (RFC 6762 §11), and a
        /// packet that does not read as DNS is dropped (logged at debug: a LAN can carry anything on 5353).
        func received(_ bytes: [UInt8], from source: SocketAddress) {
            loop.preconditionInEventLoop()
            guard !stopped, isOnLink(source) else { return }
            let message: DNSMessage
            do { message = try DNSMessage(decoding: bytes) } catch {
                logger.debug("EEBUS discovery: ignored a packet from \(source): \(error)")
                return
            }
            let port = UInt16(clamping: source.port ?? 0)
            if var r = responder {
                let actions = r.received(message, fromPort: port, nowSeconds: now)
                responder = r
                perform(actions, replyTo: source)
            }
            perform(browser.received(message, nowSeconds: now))
            reschedule()
        }

        /// RFC 6762 §11: only packets from the local link count — an IPv4 source on one of the interfaces' subnets, an
        /// IPv6 source that is link-local or shares a /64 with one of their addresses.
        func isOnLink(_ source: SocketAddress) -> Bool {
            guard let text = source.ipAddress else { return false }
            if let ip = SSDPService.ipv4(text) { return interfaces.contains { $0.address & $0.mask == ip & $0.mask } }
            guard let a = MDNSAddress(text.split(separator: "%").first.map(String.init) ?? text), a.isIPv6 else { return false }
            return a.isIPv6LinkLocal || interfaces.contains { $0.addresses.contains { $0.isIPv6 && $0.octets.prefix(8) == a.octets.prefix(8) } }
        }

        func tick() {
            loop.preconditionInEventLoop()
            guard !stopped else { return }
            let t = now
            if var r = responder, let due = r.nextDeadlineSeconds, due <= t {
                let actions = r.tick(nowSeconds: t)
                responder = r
                perform(actions, replyTo: nil)
            }
            if let due = browser.nextDeadlineSeconds, due <= t { perform(browser.tick(nowSeconds: t)) }
            reschedule()
        }

        func reschedule() {
            timer?.cancel()
            timer = nil
            guard !stopped, let next = [responder?.nextDeadlineSeconds, browser.nextDeadlineSeconds].compactMap({ $0 }).min() else { return }
            let deadline = epoch + .nanoseconds(Int64(max(0, next) * 1e9))
            timer = loop.scheduleTask(deadline: deadline) { [self] in tick() }
        }

        @discardableResult
        func perform(_ actions: [MDNSResponder.Action], replyTo source: SocketAddress?) -> [EventLoopFuture<Void>] {
            var futures: [EventLoopFuture<Void>] = []
            for action in actions {
                switch action {
                case .multicast(let m): futures += multicast(m)
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

        func perform(_ actions: [MDNSBrowser.Action]) {
            var changed = false
            for action in actions {
                switch action {
                case .multicast(let m): _ = multicast(m)
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
                let own = responder.map { $0.service.instance }
                publish(browser.discovered.filter { $0.instance != own })
            }
        }

        func multicast(_ m: DNSMessage) -> [EventLoopFuture<Void>] {
            guard let bytes = encode(m) else { return [] }
            return senders.map { s in
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
