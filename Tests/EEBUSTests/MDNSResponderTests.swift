import EEBUS
import Testing

/// The multicast DNS responder on a manual clock: probing (RFC 6762 §8.1), conflicts and renaming (§9), the
/// simultaneous-probe tiebreak (§8.2), announcing (§8.3), answers (§6, §7.1, §6.7, RFC 6763 §12) and goodbye (§10.1).
@Suite struct MDNSResponderTests {
    static let service = DNSSDServiceDescription(
        instanceName: "ChargeKit Test", hostName: "chargekit-test", port: 4712,
        txt: DNSSDTXT(pairs: [("txtvers", "1"), ("id", "ChargeKit-Test-1"), ("path", "/ship/"), ("ski", String(repeating: "ab", count: 20)),
                              ("register", "false")]),
        addresses: [MDNSAddress("192.168.1.20")!])

    /// Runs the machine's deadlines up to `limit` seconds and returns what it did, with the time.
    private func drive(_ r: inout MDNSResponder, until limit: Double) -> [(at: Double, action: MDNSResponder.Action)] {
        var out: [(Double, MDNSResponder.Action)] = []
        while let t = r.nextDeadlineSeconds, t <= limit { out += r.tick(nowSeconds: t).map { (t, $0) } }
        return out
    }

    /// Times equal to a microsecond (sums of the machine's intervals round differently).
    private func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }

    private func established(seed: UInt64 = 7) -> MDNSResponder {
        var r = MDNSResponder(service: Self.service, seed: seed)
        _ = r.start(nowSeconds: 0)
        _ = drive(&r, until: 10)
        return r
    }

    private func multicasts(_ actions: [MDNSResponder.Action]) -> [DNSMessage] {
        actions.compactMap { if case .multicast(let m) = $0 { m } else { nil } }
    }

    @Test func threeProbes250msApartThenAnnouncementsOneAndTwoSecondsApart() throws {
        var r = MDNSResponder(service: Self.service, seed: 7)
        #expect(r.start(nowSeconds: 100).isEmpty)
        let first = try #require(r.nextDeadlineSeconds)
        #expect(first >= 100 && first < 100.25)
        let log = drive(&r, until: 200)
        let times = log.map(\.at)
        let probes = log.filter { if case .multicast(let m) = $0.action { !m.isResponse } else { false } }
        #expect(close(probes.map(\.at), [first, first + 0.25, first + 0.5]))
        let announcements = log.filter { if case .multicast(let m) = $0.action { m.isResponse } else { false } }
        #expect(close(announcements.map(\.at), [first + 0.75, first + 1.75, first + 3.75]))
        #expect(close(log.filter { $0.action == .established(instanceName: "ChargeKit Test", hostName: "chargekit-test") }.map(\.at), [first + 0.75]))
        #expect(times == times.sorted())
        #expect(r.nextDeadlineSeconds == nil)

        guard case .multicast(let probe) = probes[0].action else { return }
        #expect(probe.questions == [DNSQuestion(name: Self.service.instance, type: .any, unicastResponse: true),
                                    DNSQuestion(name: Self.service.host, type: .any, unicastResponse: true)])
        #expect(Set(probe.authorities.map(\.type)) == [.srv, .txt, .a])
        guard case .multicast(let announcement) = announcements[0].action else { return }
        let byType = Dictionary(grouping: announcement.answers, by: \.type)
        #expect(byType[.ptr]?.count == 2)  // the instance, and the type in the DNS-SD enumeration (RFC 6763 §9)
        #expect(byType[.ptr]?.allSatisfy { !$0.cacheFlush && $0.ttlSeconds == 4500 } == true)
        #expect(byType[.srv]?.first?.data == .srv(priority: 0, weight: 0, port: 4712, target: DNSName("chargekit-test.local")))
        #expect(byType[.srv]?.first?.cacheFlush == true && byType[.srv]?.first?.ttlSeconds == 120)
        #expect(byType[.a]?.first?.data == .a([192, 168, 1, 20]))
        guard case .txt(let strings)? = byType[.txt]?.first?.data else { Issue.record("no TXT"); return }
        #expect(DNSSDTXT(strings: strings) == Self.service.txt)
        _ = try announcement.encoded()
    }

    @Test func aResponseClaimingOurInstanceNameWhileProbingRenamesTheServiceAndProbesAgain() throws {
        var r = MDNSResponder(service: Self.service, seed: 1)
        _ = r.start(nowSeconds: 0)
        let t = try #require(r.nextDeadlineSeconds)
        _ = r.tick(nowSeconds: t)  // the first probe
        let theirs = DNSResourceRecord(name: Self.service.instance, cacheFlush: true, ttlSeconds: 120,
                                       data: .srv(priority: 0, weight: 0, port: 80, target: DNSName("other.local")))
        let actions = r.received(.response(answers: [theirs]), fromPort: 5353, nowSeconds: t + 0.1)
        #expect(actions == [.renamed(instanceName: "ChargeKit Test (2)", hostName: "chargekit-test-2")])
        let log = drive(&r, until: 20)
        let probes = multicasts(log.map(\.action)).filter { !$0.isResponse }
        #expect(probes.count == 3)
        #expect(probes.allSatisfy { $0.questions[0].name == Self.service.serviceType.prepending("ChargeKit Test (2)") })
        #expect(log.contains { $0.action == .established(instanceName: "ChargeKit Test (2)", hostName: "chargekit-test-2") })
    }

    @Test func ourOwnProbeAndAnnouncementLoopedBackAreNoConflict() throws {
        var r = MDNSResponder(service: Self.service, seed: 3)
        _ = r.start(nowSeconds: 0)
        let t = try #require(r.nextDeadlineSeconds)
        let probe = try #require(multicasts(r.tick(nowSeconds: t)).first)
        #expect(r.received(probe, fromPort: 5353, nowSeconds: t + 0.01).isEmpty)
        let log = drive(&r, until: 20)
        let announcement = try #require(multicasts(log.map(\.action)).first { $0.isResponse })
        #expect(r.received(announcement, fromPort: 5353, nowSeconds: 21).isEmpty)
        #expect(r.service.instanceName == "ChargeKit Test")
    }

    @Test func aSimultaneousProbeWithLaterDataWinsTheTiebreakAndWeProbeAgainASecondLater() throws {
        var r = MDNSResponder(service: Self.service, seed: 3)
        _ = r.start(nowSeconds: 0)
        let t = try #require(r.nextDeadlineSeconds)
        _ = r.tick(nowSeconds: t)
        // Their A record 192.168.1.99 is lexicographically later than ours (…1.20): they win (RFC 6762 §8.2).
        let later = DNSMessage.query([DNSQuestion(name: Self.service.host, type: .any, unicastResponse: true)],
                                     authorities: [DNSResourceRecord(name: Self.service.host, cacheFlush: true, ttlSeconds: 120, data: .a([192, 168, 1, 99]))])
        #expect(r.received(later, fromPort: 5353, nowSeconds: t + 0.1).isEmpty)
        #expect(r.nextDeadlineSeconds == t + 0.1 + 1)
        // An earlier one loses: we carry on as planned.
        var s = MDNSResponder(service: Self.service, seed: 3)
        _ = s.start(nowSeconds: 0)
        _ = s.tick(nowSeconds: t)
        let earlier = DNSMessage.query([DNSQuestion(name: Self.service.host, type: .any, unicastResponse: true)],
                                       authorities: [DNSResourceRecord(name: Self.service.host, cacheFlush: true, ttlSeconds: 120, data: .a([192, 168, 1, 1]))])
        #expect(s.received(earlier, fromPort: 5353, nowSeconds: t + 0.1).isEmpty)
        #expect(s.nextDeadlineSeconds == t + 0.25)
    }

    @Test func aPTRQueryIsAnsweredAfter20To120msWithSRVTXTAndAddressAsAdditionals() throws {
        var r = established()
        let query = DNSMessage.query([DNSQuestion(name: DNSName("_ship._tcp.local"), type: .ptr)])
        #expect(r.received(query, fromPort: 5353, nowSeconds: 50).isEmpty)
        let due = try #require(r.nextDeadlineSeconds)
        #expect(due >= 50.02 && due <= 50.12)
        let response = try #require(multicasts(r.tick(nowSeconds: due)).first)
        #expect(response.answers == [DNSResourceRecord(name: DNSName("_ship._tcp.local"), ttlSeconds: 4500, data: .ptr(Self.service.instance))])
        #expect(response.additionals.map(\.type) == [.srv, .txt, .a])
        #expect(response.isResponse && response.authoritative && response.id == 0)
    }

    @Test func aKnownAnswerWithMoreThanHalfItsTTLSuppressesTheAnswer() {
        var r = established()
        let ptr = DNSResourceRecord(name: Self.service.serviceType, ttlSeconds: 4000, data: .ptr(Self.service.instance))
        let query = DNSMessage.query([DNSQuestion(name: Self.service.serviceType, type: .ptr)], knownAnswers: [ptr])
        #expect(r.received(query, fromPort: 5353, nowSeconds: 50).isEmpty)
        #expect(r.nextDeadlineSeconds == nil)
        // With less than half left (RFC 6762 §7.1) it is answered.
        let stale = DNSMessage.query([DNSQuestion(name: Self.service.serviceType, type: .ptr)], knownAnswers: [ptr.with(ttlSeconds: 2000)])
        _ = r.received(stale, fromPort: 5353, nowSeconds: 60)
        #expect(r.nextDeadlineSeconds != nil)
    }

    @Test func aLegacyUnicastQueryGetsItsIdAndQuestionBackWithShortTTLs() throws {
        var r = established()
        var query = DNSMessage.query([DNSQuestion(name: Self.service.host, type: .a)])
        query.id = 0xBEEF
        let actions = r.received(query, fromPort: 40000, nowSeconds: 50)
        guard case .reply(let reply)? = actions.first else { Issue.record("\(actions)"); return }
        #expect(reply.id == 0xBEEF && reply.questions == query.questions)
        #expect(reply.answers == [DNSResourceRecord(name: Self.service.host, ttlSeconds: 10, data: .a([192, 168, 1, 20]))])
    }

    @Test func aUnicastResponseQuestionIsAnsweredToItsSenderWhileTheRecordsWereMulticastRecently() throws {
        var r = established()  // the last announcement went out at about 3.9 s
        let qu = DNSMessage.query([DNSQuestion(name: Self.service.instance, type: .srv, unicastResponse: true)])
        guard case .reply(let reply)? = r.received(qu, fromPort: 5353, nowSeconds: 10).first else { Issue.record("no reply"); return }
        #expect(reply.answers.map(\.type) == [.srv] && reply.additionals.map(\.type) == [.a])
        // Later than a quarter of the TTL after the last multicast, everyone hears the answer (RFC 6762 §5.4).
        guard case .multicast? = r.received(qu, fromPort: 5353, nowSeconds: 100).first else { Issue.record("not multicast"); return }
    }

    @Test func aRecordIsMulticastAtMostOnceASecond() throws {
        var r = established()
        let q = DNSMessage.query([DNSQuestion(name: Self.service.instance, type: .srv)])
        #expect(multicasts(r.received(q, fromPort: 5353, nowSeconds: 50)).count == 1)
        #expect(r.received(q, fromPort: 5353, nowSeconds: 50.5).isEmpty)  // RFC 6762 §6
        #expect(multicasts(r.received(q, fromPort: 5353, nowSeconds: 51)).count == 1)
        // A probe for our name is answered again after 250 ms (defending the name).
        let probe = DNSMessage.query([DNSQuestion(name: Self.service.instance, type: .any)],
                                     authorities: [DNSResourceRecord(name: Self.service.instance, ttlSeconds: 120, data: .txt([]))])
        #expect(multicasts(r.received(probe, fromPort: 5353, nowSeconds: 51.3)).count == 1)
    }

    @Test func aQuestionForATypeWeDoNotHaveGetsAnNSEC() throws {
        var r = established()
        let q = DNSMessage.query([DNSQuestion(name: Self.service.host, type: .aaaa)])
        guard case .multicast(let m)? = r.received(q, fromPort: 5353, nowSeconds: 50).first else { Issue.record("no answer"); return }
        #expect(m.answers == [DNSResourceRecord(name: Self.service.host, cacheFlush: true, ttlSeconds: 120, data: .nsec(next: Self.service.host, types: [.a]))])
    }

    @Test func queriesForOtherNamesAndQueriesWhileProbingAreNotAnswered() throws {
        var r = established()
        #expect(r.received(.query([DNSQuestion(name: DNSName("_http._tcp.local"), type: .ptr)]), fromPort: 5353, nowSeconds: 50).isEmpty)
        var p = MDNSResponder(service: Self.service, seed: 1)
        _ = p.start(nowSeconds: 0)
        #expect(p.received(.query([DNSQuestion(name: Self.service.serviceType, type: .ptr)]), fromPort: 5353, nowSeconds: 0.1).isEmpty)
    }

    @Test func stopSendsEveryRecordWithTTLZero() throws {
        var r = established()
        let goodbye = try #require(multicasts(r.stop(nowSeconds: 60)).first)
        #expect(goodbye.answers.count == 4 && goodbye.answers.allSatisfy { $0.ttlSeconds == 0 })
        #expect(r.received(.query([DNSQuestion(name: Self.service.serviceType, type: .ptr)]), fromPort: 5353, nowSeconds: 61).isEmpty)
        // Stopped before probing ended, there is nothing to take back.
        var p = MDNSResponder(service: Self.service, seed: 1)
        _ = p.start(nowSeconds: 0)
        #expect(p.stop(nowSeconds: 0.1).isEmpty)
    }

    @Test func aChangedTXTIsAnnouncedAgainAndAConflictAfterProbingRenames() throws {
        var r = established()
        var changed = Self.service
        changed.txt = DNSSDTXT(pairs: [("txtvers", "1"), ("register", "true")])
        let again = multicasts(r.update(changed, nowSeconds: 70))
        let strings = try changed.txt.strings()
        #expect(again.count == 1 && again[0].answers.contains { $0.type == .txt && $0.data == .txt(strings) })
        _ = drive(&r, until: 80)
        let theirs = DNSResourceRecord(name: Self.service.host, cacheFlush: true, ttlSeconds: 120, data: .a([10, 9, 8, 7]))
        let actions = r.received(.response(answers: [theirs]), fromPort: 5353, nowSeconds: 90)
        #expect(multicasts(actions).first?.answers.allSatisfy { $0.ttlSeconds == 0 } == true)  // goodbye for the old names
        #expect(actions.last == .renamed(instanceName: "ChargeKit Test (2)", hostName: "chargekit-test-2"))
    }

    @Test func aLongNameStaysWithin63OctetsWhenNumbered() {
        var long = Self.service
        long.instanceName = String(repeating: "x", count: 63)
        var r = MDNSResponder(service: long, seed: 1)
        _ = r.start(nowSeconds: 0)
        let t = r.nextDeadlineSeconds!
        _ = r.tick(nowSeconds: t)
        _ = r.received(.response(answers: [DNSResourceRecord(name: long.instance, ttlSeconds: 120, data: .txt([]))]), fromPort: 5353, nowSeconds: t + 0.1)
        #expect(r.service.instanceName == String(repeating: "x", count: 59) + " (2)")
    }
}
