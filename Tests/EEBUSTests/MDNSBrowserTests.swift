import EEBUS
import Testing

/// The DNS-SD browser on a manual clock: query back-off (RFC 6762 §5.2), known answers (§7.1), resolving SRV, TXT and
/// addresses, goodbye (§10.1), TTL expiry and refresh (§5.2), cache flush (§10.2); and the responder's announcement read
/// by the browser.
@Suite struct MDNSBrowserTests {
    static let type = DNSName("_ship._tcp.local")
    static let instance = type.prepending("HEMS 7")
    static let host = DNSName("hems.local")

    static func announcement(ttl: UInt32 = 120, port: UInt16 = 4711) -> DNSMessage {
        .response(answers: [DNSResourceRecord(name: type, ttlSeconds: ttl == 0 ? 0 : 4500, data: .ptr(instance))],
                  additionals: [DNSResourceRecord(name: instance, cacheFlush: true, ttlSeconds: ttl, data: .srv(priority: 0, weight: 0, port: port, target: host)),
                                DNSResourceRecord(name: instance, cacheFlush: true, ttlSeconds: ttl == 0 ? 0 : 4500,
                                                  data: .txt([Array("txtvers=1".utf8), Array("id=HEMS-7".utf8), Array("ski=0123".utf8)])),
                                DNSResourceRecord(name: host, cacheFlush: true, ttlSeconds: ttl, data: .a([10, 0, 0, 7]))])
    }

    private func queries(_ actions: [MDNSBrowser.Action]) -> [DNSMessage] {
        actions.compactMap { if case .multicast(let m) = $0 { m } else { nil } }
    }

    @Test func thePTRQueryGoesOutAfter20To120msThenOneTwoAndFourSecondsApart() throws {
        var b = MDNSBrowser(seed: 5)
        #expect(b.start(nowSeconds: 0).isEmpty)
        var times: [Double] = []
        while let t = b.nextDeadlineSeconds, t < 8 {
            let q = queries(b.tick(nowSeconds: t))
            #expect(q.map(\.questions) == [[DNSQuestion(name: Self.type, type: .ptr)]])
            times.append(t)
        }
        #expect(times.count == 4)
        #expect(times[0] >= 0.02 && times[0] <= 0.12)
        #expect(zip(times.dropFirst(), times).map { $0 - $1 }.map { ($0 * 1000).rounded() } == [1000, 2000, 4000])
    }

    @Test func anAnnouncedServiceIsListedWithHostPortTXTAndAddress() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        let actions = b.received(Self.announcement(), nowSeconds: 1)
        let expected = DNSSDDiscoveredService(instanceName: "HEMS 7", serviceType: Self.type, hostName: "hems.local", port: 4711,
                                              txt: DNSSDTXT(pairs: [("txtvers", "1"), ("id", "HEMS-7"), ("ski", "0123")]),
                                              addresses: [MDNSAddress("10.0.0.7")!])
        #expect(actions == [.added(expected)])
        #expect(b.discovered == [expected])
        // The same announcement again changes nothing; a new port is an update.
        #expect(b.received(Self.announcement(), nowSeconds: 2).isEmpty)
        var moved = expected
        moved.port = 4712
        #expect(b.received(Self.announcement(port: 4712), nowSeconds: 3) == [.updated(moved)])
    }

    @Test func aGoodbyeRemovesTheServiceOneSecondLater() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        _ = b.received(Self.announcement(), nowSeconds: 1)
        #expect(b.received(Self.announcement(ttl: 0), nowSeconds: 10).isEmpty)
        #expect(b.discovered.count == 1)
        #expect(b.tick(nowSeconds: 10.5).filter { if case .removed = $0 { true } else { false } }.isEmpty)
        #expect(b.tick(nowSeconds: 11).contains(.removed(instanceName: "HEMS 7")))
        #expect(b.discovered.isEmpty)
    }

    @Test func recordsAreAskedForAt80PercentOfTheirTTLAndTheServiceGoesWhenTheyExpire() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        _ = b.received(Self.announcement(ttl: 100), nowSeconds: 0)
        var refreshQuestions: [Double: [DNSQuestion]] = [:]
        var removedAt: Double?
        while let t = b.nextDeadlineSeconds, t <= 200, removedAt == nil {
            for a in b.tick(nowSeconds: t) {
                if case .multicast(let q) = a, q.questions.contains(where: { $0.type == .srv }) { refreshQuestions[t] = q.questions }
                if case .removed = a { removedAt = t }
            }
        }
        // The SRV (TTL 100 s) is asked for at 80, 85, 90 and 95 s (RFC 6762 §5.2); at 100 s it expires, the service goes,
        // and the SRV is asked for as missing (the PTR is still known).
        #expect(refreshQuestions.keys.sorted().map { ($0 * 1000).rounded() / 1000 } == [80, 85, 90, 95, 100])
        #expect(removedAt == 100)
    }

    @Test func aPTRWithoutSRVIsResolvedByAskingForSRVAndTXTThenTheHostsAddresses() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        let onlyPTR = DNSMessage.response(answers: [DNSResourceRecord(name: Self.type, ttlSeconds: 4500, data: .ptr(Self.instance))])
        #expect(b.received(onlyPTR, nowSeconds: 1).isEmpty)
        #expect(b.nextDeadlineSeconds == 0)
        let ask = queries(b.tick(nowSeconds: 1))
        #expect(ask.first?.questions.contains(DNSQuestion(name: Self.instance, type: .srv)) == true)
        #expect(ask.first?.questions.contains(DNSQuestion(name: Self.instance, type: .txt)) == true)
        let srv = DNSMessage.response(answers: [DNSResourceRecord(name: Self.instance, cacheFlush: true, ttlSeconds: 120,
                                                                  data: .srv(priority: 0, weight: 0, port: 1, target: Self.host))])
        guard case .added(let s)? = b.received(srv, nowSeconds: 1.1).first else { Issue.record("not listed"); return }
        #expect(s.addresses.isEmpty && s.txt.entries.isEmpty)
        // The host's addresses are asked for at once; the TXT again no sooner than a second after the last question.
        #expect(b.nextDeadlineSeconds == 0)
        #expect(queries(b.tick(nowSeconds: 1.1)).first?.questions == [DNSQuestion(name: Self.host, type: .a), DNSQuestion(name: Self.host, type: .aaaa)])
        #expect(b.nextDeadlineSeconds == 2)
        let second = queries(b.tick(nowSeconds: 2)).first?.questions ?? []
        #expect(second.contains(DNSQuestion(name: Self.instance, type: .txt)) && !second.contains(DNSQuestion(name: Self.host, type: .a)))
    }

    @Test func thePeriodicQueryListsKnownPTRsWithMoreThanHalfTheirTTLLeft() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        _ = b.tick(nowSeconds: b.nextDeadlineSeconds!)
        _ = b.received(Self.announcement(), nowSeconds: 0.5)
        let t = b.nextDeadlineSeconds!
        let q = try #require(queries(b.tick(nowSeconds: t)).first { $0.questions.contains(DNSQuestion(name: Self.type, type: .ptr)) })
        #expect(q.answers.count == 1)
        #expect(q.answers.first?.data == .ptr(Self.instance))
        #expect((q.answers.first?.ttlSeconds ?? 0) > 4490)
    }

    @Test func aCacheFlushRecordReplacesOlderAddressesOneSecondLater() throws {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        _ = b.received(Self.announcement(), nowSeconds: 0)
        let newAddress = DNSMessage.response(answers: [DNSResourceRecord(name: Self.host, cacheFlush: true, ttlSeconds: 120, data: .a([10, 0, 0, 8]))])
        guard case .updated(let both)? = b.received(newAddress, nowSeconds: 5).first else { Issue.record("no update"); return }
        #expect(both.addresses.map(\.description) == ["10.0.0.7", "10.0.0.8"])
        guard case .updated(let one)? = b.tick(nowSeconds: 6).first(where: { if case .updated = $0 { true } else { false } }) else {
            Issue.record("old address kept"); return
        }
        #expect(one.addresses.map(\.description) == ["10.0.0.8"])
    }

    @Test func recordsOfOtherTypesAndUnrelatedAddressesAreNotKept() {
        var b = MDNSBrowser(seed: 5)
        _ = b.start(nowSeconds: 0)
        let noise = DNSMessage.response(answers: [
            DNSResourceRecord(name: DNSName("_http._tcp.local"), ttlSeconds: 4500, data: .ptr(DNSName("Printer._http._tcp.local"))),
            DNSResourceRecord(name: DNSName("printer.local"), ttlSeconds: 120, data: .a([10, 0, 0, 9])),
        ])
        #expect(b.received(noise, nowSeconds: 1).isEmpty)
        #expect(b.discovered.isEmpty)
    }

    @Test func theResponderAnnouncementReadsBackAsTheServiceItDescribes() throws {
        let service = MDNSResponderTests.service
        var r = MDNSResponder(service: service, seed: 9)
        _ = r.start(nowSeconds: 0)
        var b = MDNSBrowser(seed: 9)
        _ = b.start(nowSeconds: 0)
        var found: [MDNSBrowser.Action] = []
        while let t = r.nextDeadlineSeconds, t < 10 {
            for case .multicast(let m) in r.tick(nowSeconds: t) where m.isResponse {
                found += b.received(try DNSMessage(decoding: try m.encoded()), nowSeconds: t)
            }
        }
        let expected = DNSSDDiscoveredService(instanceName: service.instanceName, serviceType: service.serviceType, hostName: "chargekit-test.local",
                                              port: service.port, txt: service.txt, addresses: service.addresses)
        #expect(found == [.added(expected)])
        for case .multicast(let m) in r.stop(nowSeconds: 20) { _ = b.received(try DNSMessage(decoding: try m.encoded()), nowSeconds: 20) }
        #expect(b.tick(nowSeconds: 21).contains(.removed(instanceName: service.instanceName)))
    }
}
