import Testing
@testable import V2G

/// Deterministic pseudo-random numbers (SplitMix64) for the fuzz and split tests: a failure names its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

@Suite struct V2GTPHeaderTests {
    @Test func goldenBytes() {
        // A supportedAppProtocolReq of 36 bytes (the size Josev's EVCC sends for one protocol) as ISO 15118-2 frames it.
        #expect(V2GTPHeader(payloadType: .exi, payloadLength: 36).bytes == hex("01 FE 80 01 00 00 00 24"))
        #expect(V2GTPHeader(payloadType: .iso20DC, payloadLength: 0x0102_0304).bytes == hex("01 FE 80 04 01 02 03 04"))
        #expect(V2GTPFrame(payloadType: .exi, payload: [0x80, 0x00]).bytes == hex("01 FE 80 01 00 00 00 02 80 00"))
    }

    @Test func payloadTypesOfTheStandards() {
        #expect(V2GTPPayloadType.exi.rawValue == 0x8001 && V2GTPPayloadType.iso20Mainstream.rawValue == 0x8002)
        #expect(V2GTPPayloadType.iso20AC.rawValue == 0x8003 && V2GTPPayloadType.iso20DC.rawValue == 0x8004)
        #expect(V2GTPPayloadType.iso20ACDP.rawValue == 0x8005 && V2GTPPayloadType.iso20WPT.rawValue == 0x8006)
        #expect(V2GTPPayloadType.sdpRequest.rawValue == 0x9000 && V2GTPPayloadType.sdpResponse.rawValue == 0x9001)
        #expect(V2GTPPayloadType.sdpRequestWireless.rawValue == 0x9002 && V2GTPPayloadType.sdpResponseWireless.rawValue == 0x9003)
        #expect(V2GTPPayloadType.known.count == 14)
        #expect(!V2GTPPayloadType.tcp.contains(.sdpRequest) && V2GTPPayloadType.tcp.contains(.exi))
        #expect(V2GTPPayloadType(rawValue: 0xA000).description == "0xA000 (unknown)")
        #expect(V2GTPPayloadType.exi.description == "0x8001 (EXI)")
    }

    @Test func headerChecksInTheStandardsOrder() {
        let tcp = V2GTPPayloadType.tcp
        #expect(V2GTPHeader.parse(hex("01 FE 80 01 00 00 00 24"), accepted: tcp, maximumPayloadBytes: 100)
                == .success(V2GTPHeader(payloadType: .exi, payloadLength: 36)))
        // Version first: a wrong pattern is reported as such even when the type and length are wrong too.
        #expect(V2GTPHeader.parse(hex("02 FD 12 34 FF FF FF FF"), accepted: tcp, maximumPayloadBytes: 100)
                == .failure(.version(version: 2, inverse: 0xFD)))
        #expect(V2GTPHeader.parse(hex("01 FF 80 01 00 00 00 01"), accepted: tcp, maximumPayloadBytes: 100)
                == .failure(.version(version: 1, inverse: 0xFF)))
        // Then the type, then the length.
        #expect(V2GTPHeader.parse(hex("01 FE 90 00 FF FF FF FF"), accepted: tcp, maximumPayloadBytes: 100)
                == .failure(.payloadType(.sdpRequest, length: 0xFFFF_FFFF)))
        #expect(V2GTPHeader.parse(hex("01 FE 80 01 00 00 00 65"), accepted: tcp, maximumPayloadBytes: 100)
                == .failure(.payloadLength(101, type: .exi, maximum: 100)))
        #expect(V2GTPError.version(version: 2, inverse: 0xFD).description
                == "V2GTP header: protocol version 0x02 / inverse 0xFD, allowed 0x01 / 0xFE")
        #expect(V2GTPError.payloadLength(101, type: .exi, maximum: 100).description
                == "V2GTP header: payload length 101 bytes of payload type 0x8001, allowed 0...100")
    }
}

@Suite struct V2GTPFrameDecoderTests {
    static let frames = [
        V2GTPFrame(payloadType: .exi, payload: hex("80 00 EB AB 93 71 D3 4B 9B 79 D3 9B A3 21 D3 4B 9B 79 D1 89 A9 89 89 C1 D1 69 91 81 D2 0A 18 01 00 00 04 00")),
        V2GTPFrame(payloadType: .exi, payload: []),
        V2GTPFrame(payloadType: .iso20AC, payload: Array(0..<200).map { UInt8($0 & 0xFF) }),
    ]
    static var stream: [UInt8] { frames.flatMap(\.bytes) }

    static func decodeAll(_ d: inout V2GTPFrameDecoder) -> [V2GTPFrameDecoder.Item] {
        var out: [V2GTPFrameDecoder.Item] = []
        while let r = d.next() {
            guard case .success(let item) = r else { Issue.record("unexpected failure \(r)"); break }
            out.append(item)
        }
        return out
    }

    @Test func wholeStreamAtOnce() {
        var d = V2GTPFrameDecoder()
        d.append(Self.stream)
        #expect(Self.decodeAll(&d) == Self.frames.map { .frame($0) })
        #expect(d.isAtMessageBoundary)
    }

    @Test func byteByByte() {
        var d = V2GTPFrameDecoder()
        var got: [V2GTPFrameDecoder.Item] = []
        for b in Self.stream {
            d.append([b])
            got += Self.decodeAll(&d)
        }
        #expect(got == Self.frames.map { .frame($0) })
    }

    @Test(arguments: 0..<50 as Range<UInt64>) func randomSplits(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let stream = Self.stream
        var d = V2GTPFrameDecoder()
        var got: [V2GTPFrameDecoder.Item] = []
        var i = 0
        while i < stream.count {
            let n = Int.random(in: 1...max(1, min(40, stream.count - i)), using: &rng)
            d.append(stream[i..<i + n])
            got += Self.decodeAll(&d)
            i += n
        }
        #expect(got == Self.frames.map { .frame($0) }, "seed \(seed)")
    }

    @Test func unknownPayloadTypeIsSkippedAndTheNextMessageRead() {
        let foreign = V2GTPFrame(payloadType: .init(rawValue: 0xA123), payload: [1, 2, 3, 4, 5])
        let sdpOnTCP = V2GTPFrame(payloadType: .sdpRequest, payload: [0x10, 0x00])
        let stream = foreign.bytes + sdpOnTCP.bytes + Self.frames[0].bytes
        for split in 1...stream.count {
            var d = V2GTPFrameDecoder()
            d.append(stream[..<split])
            var got = Self.decodeAll(&d)
            d.append(stream[split...])
            got += Self.decodeAll(&d)
            #expect(got == [.ignored(.payloadType(foreign.payloadType, length: 5)), .ignored(.payloadType(.sdpRequest, length: 2)),
                            .frame(Self.frames[0])], "split at \(split)")
        }
    }

    @Test func wrongVersionFailsForGoodAndDropsTheBuffer() {
        var d = V2GTPFrameDecoder()
        d.append(Self.frames[0].bytes + hex("01 FD 80 01 00 00 00 00") + Self.frames[0].bytes)
        #expect(d.next() == .success(.frame(Self.frames[0])))
        #expect(d.next() == .failure(.version(version: 1, inverse: 0xFD)))
        #expect(d.bufferedByteCount == 0)
        d.append(Self.frames[0].bytes)
        #expect(d.next() == .failure(.version(version: 1, inverse: 0xFD)), "a failure is final")
        #expect(d.bufferedByteCount == 0)
    }

    @Test func hugeLengthFailsAtTheHeaderWithoutWaitingForThePayload() {
        var d = V2GTPFrameDecoder(maximumPayloadBytes: 1000)
        d.append(hex("01 FE 80 01 FF FF FF FF"))
        #expect(d.next() == .failure(.payloadLength(0xFFFF_FFFF, type: .exi, maximum: 1000)))
        // An unknown type too long to skip is refused as too long.
        var e = V2GTPFrameDecoder(maximumPayloadBytes: 1000)
        e.append(hex("01 FE A0 00 00 00 03 E9"))
        #expect(e.next() == .failure(.payloadLength(1001, type: .init(rawValue: 0xA000), maximum: 1000)))
        // At the bound exactly, the message is read.
        var f = V2GTPFrameDecoder(maximumPayloadBytes: 3)
        f.append(hex("01 FE 80 01 00 00 00 03 01 02 03"))
        #expect(f.next() == .success(.frame(.init(payloadType: .exi, payload: [1, 2, 3]))))
    }

    /// Random bytes, random mutations of a valid stream: the decoder never traps, never holds more than a header and
    /// the bound, and whatever it yields before failing is made of whole, accepted messages within the bound.
    @Test(arguments: 0..<40 as Range<UInt64>) func fuzz(seed: UInt64) {
        var rng = SplitMix64(seed: seed &* 7919)
        let maximum = 300
        var input: [UInt8]
        if seed % 2 == 0 {
            input = (0..<Int.random(in: 0...2000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if seed % 4 == 0 { input = hex("01 FE 80 01") + input }
        } else {
            input = Self.stream
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<input.count, using: &rng)
                input[at] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        var d = V2GTPFrameDecoder(maximumPayloadBytes: maximum)
        var i = 0
        var failed = false
        while i < input.count && !failed {
            let n = Int.random(in: 1...64, using: &rng)
            d.append(input[i..<min(input.count, i + n)])
            i += n
            while let r = d.next() {
                switch r {
                case .success(.frame(let f)):
                    #expect(V2GTPPayloadType.tcp.contains(f.payloadType) && f.payload.count <= maximum)
                case .success(.ignored(let e)):
                    guard case .payloadType(let t, let length) = e else { Issue.record("ignored \(e)"); continue }
                    #expect(!V2GTPPayloadType.tcp.contains(t) && Int(length) <= maximum)
                case .failure:
                    failed = true
                }
                if failed { break }
            }
            #expect(d.bufferedByteCount <= maximum + 64 + V2GTPHeader.byteCount, "seed \(seed)")
        }
    }
}
