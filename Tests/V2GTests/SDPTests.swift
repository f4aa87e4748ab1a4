import Testing
@testable import V2G

@Suite struct SDPTests {
    /// fe80::a4c1:38ff:fe12:3456, the kind of link-local address a PLC interface has.
    static let linkLocal = hex("FE80 0000 0000 0000 A4C1 38FF FE12 3456")

    @Test func requestGoldenBytes() {
        #expect(SDPRequest(security: .none, transport: .tcp).datagram == hex("01 FE 90 00 00 00 00 02 10 00"))
        #expect(SDPRequest(security: .tls, transport: .tcp).datagram == hex("01 FE 90 00 00 00 00 02 00 00"))
        #expect(SDPRequest.parse(datagram: hex("01 FE 90 00 00 00 00 02 10 00")) == .success(.init(security: .none, transport: .tcp)))
        #expect(SDPRequest.parse(datagram: hex("01 FE 90 00 00 00 00 02 00 10")) == .success(.init(security: .tls, transport: .udp)))
    }

    @Test func responseGoldenBytes() {
        let r = SDPResponse(address: Self.linkLocal, port: 0xC351, security: .none, transport: .tcp)
        let golden = hex("01 FE 90 01 00 00 00 14  FE80 0000 0000 0000 A4C1 38FF FE12 3456  C3 51 10 00")
        #expect(r.datagram == golden)
        #expect(SDPResponse.parse(datagram: golden) == .success(r))
    }

    @Test func refusalsNameTheField() {
        func refusal(_ s: String) -> String? {
            if case .failure(let r) = SDPRequest.parse(datagram: hex(s)) { return r.description }
            return nil
        }
        #expect(refusal("01 FE 90") == "SDP request: 3 bytes, a V2GTP message has at least 8")
        #expect(refusal("02 FE 90 00 00 00 00 02 10 00") == "SDP request: V2GTP header: protocol version 0x02 / inverse 0xFE, allowed 0x01 / 0xFE")
        #expect(refusal("01 FE 80 01 00 00 00 02 10 00") == "SDP request: V2GTP header: payload type 0x8001 (EXI) (length 2) is not processed here")
        #expect(refusal("01 FE 90 02 00 00 00 02 10 00")?.contains("wireless discovery") == true)
        #expect(refusal("01 FE 90 00 00 00 00 01 10") == "SDP request: payload length 1 in a datagram of 9 bytes, allowed exactly 2 (10-byte datagram)")
        #expect(refusal("01 FE 90 00 00 00 00 02 10 00 00") == "SDP request: payload length 2 in a datagram of 11 bytes, allowed exactly 2 (10-byte datagram)")
        #expect(refusal("01 FE 90 00 FF FF FF FF 10 00") == "SDP request: V2GTP header: payload length 4294967295 bytes of payload type 0x9000, allowed 0...2")
        #expect(refusal("01 FE 90 00 00 00 00 02 01 00") == "SDP request: security 0x01, allowed 0x00 (TLS) or 0x10 (none)")
        #expect(refusal("01 FE 90 00 00 00 00 02 10 11") == "SDP request: transport 0x11, allowed 0x00 (TCP) or 0x10 (UDP)")
    }

    @Test func decision() {
        let eim = SDPOffer(address: Self.linkLocal, tcpPort: 50000)
        let pnc = SDPOffer(address: Self.linkLocal, tcpPort: 50000, tlsPort: 50001)
        func answer(_ security: SDPSecurity, _ transport: SDPTransport = .tcp, at offer: SDPOffer) -> SDPResponse {
            SDP.response(to: SDPRequest(security: security, transport: transport), offer: offer)
        }
        // No TLS asked: the TCP server, whatever the station has.
        #expect(answer(.none, at: eim) == SDPResponse(address: Self.linkLocal, port: 50000, security: .none, transport: .tcp))
        #expect(answer(.none, at: pnc) == SDPResponse(address: Self.linkLocal, port: 50000, security: .none, transport: .tcp))
        // TLS asked: TLS where Plug & Charge is configured, otherwise the station says "no TLS" and the vehicle decides.
        #expect(answer(.tls, at: pnc) == SDPResponse(address: Self.linkLocal, port: 50001, security: .tls, transport: .tcp))
        #expect(answer(.tls, at: eim) == SDPResponse(address: Self.linkLocal, port: 50000, security: .none, transport: .tcp))
        // UDP asked: V2G messages travel over TCP only.
        #expect(answer(.none, .udp, at: eim).transport == .tcp)
        guard case .success(let a) = SDP.answer(datagram: hex("01 FE 90 00 00 00 00 02 10 00"), offer: eim) else {
            Issue.record("no answer"); return
        }
        #expect(a.response.datagram == hex("01 FE 90 01 00 00 00 14  FE80 0000 0000 0000 A4C1 38FF FE12 3456  C3 50 10 00"))
    }

    /// Every 10-byte datagram that differs from a valid request in one byte, and random datagrams: only the four
    /// valid requests are answered, nothing traps.
    @Test func fuzzDatagrams() {
        let offer = SDPOffer(address: Self.linkLocal, tcpPort: 50000)
        let valid: Set<[UInt8]> = Set([0x00, 0x10].flatMap { s in [0x00, 0x10].map { t in hex("01 FE 90 00 00 00 00 02") + [UInt8(s), UInt8(t)] } })
        var answered = 0
        for base in valid {
            for at in 0..<base.count {
                for v in 0...255 {
                    var d = base
                    d[at] = UInt8(v)
                    if case .success = SDP.answer(datagram: d, offer: offer) {
                        #expect(valid.contains(d))
                        answered += 1
                    }
                }
            }
        }
        #expect(answered == 4 * (8 + 2 * 2), "per valid datagram: its own value at each header byte, two values at each field byte")
        var rng = SplitMix64(seed: 15118)
        for _ in 0..<20_000 {
            let d = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if case .success = SDP.answer(datagram: d, offer: offer) { #expect(valid.contains(d)) }
            _ = SDPResponse.parse(datagram: d)
        }
    }
}

@Suite struct V2GConnectionTimersTests {
    let s: UInt64 = 1_000_000_000

    @Test func communicationSetupRunsUntilTheSetupIsComplete() {
        var t = V2GConnectionTimers(openedAtNanoseconds: 5 * s)
        #expect(t.nextDeadline! == (25 * s, .communicationSetup))
        #expect(t.expired(atNanoseconds: 25 * s - 1) == nil)
        #expect(t.expired(atNanoseconds: 25 * s) == .communicationSetup)
        t.requestReceived(atNanoseconds: 6 * s)
        t.responseSent(atNanoseconds: 7 * s, completesSetup: false)  // supportedAppProtocolRes
        #expect(t.expired(atNanoseconds: 25 * s) == .communicationSetup, "the setup timer still runs before the sequence timer")
        t.requestReceived(atNanoseconds: 8 * s)
        t.responseSent(atNanoseconds: 9 * s, completesSetup: true)  // SessionSetupRes
        #expect(t.nextDeadline! == (69 * s, .sequence))
    }

    @Test func sequenceTimerRunsOnlyBetweenResponseAndNextRequest() {
        var t = V2GConnectionTimers(limits: .init(communicationSetupNanoseconds: 2 * s, sequenceNanoseconds: 3 * s), openedAtNanoseconds: 0)
        t.requestReceived(atNanoseconds: 1 * s)
        t.responseSent(atNanoseconds: 1 * s, completesSetup: true)
        #expect(t.expired(atNanoseconds: 4 * s) == .sequence)
        t.requestReceived(atNanoseconds: 3 * s)
        #expect(t.nextDeadline == nil, "while the station answers, no timer of the vehicle runs")
        #expect(t.expired(atNanoseconds: 100 * s) == nil)
    }

    @Test func standardValues() {
        #expect(V2GConnectionTimers.Limits.standard.communicationSetupNanoseconds == 20 * s)
        #expect(V2GConnectionTimers.Limits.standard.sequenceNanoseconds == 60 * s)
    }
}
