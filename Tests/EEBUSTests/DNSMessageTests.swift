import EEBUS
import Testing

/// The DNS message codec of multicast DNS (RFC 1035 §4.1, RFC 6762 §18): golden bytes written by hand from the RFCs,
/// name compression both ways, and hostile packets that must give an error (never a crash or a loop).
@Suite struct DNSMessageTests {
    static let ship = DNSName("_ship._tcp.local")

    private func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { !$0.isWhitespace }
        return stride(from: 0, to: digits.count, by: 2).map { i in
            let a = digits.index(digits.startIndex, offsetBy: i)
            return UInt8(digits[a...digits.index(after: a)], radix: 16)!
        }
    }

    @Test func aPTRQueryHasTheHeaderOfRFC6762AndOneQuestion() throws {
        let query = DNSMessage.query([DNSQuestion(name: Self.ship, type: .ptr)])
        // id 0, flags 0 (RFC 6762 §18.1–18.11), QDCOUNT 1; "_ship" "_tcp" "local" root; type 12, class IN.
        let golden = hex("0000 0000 0001 0000 0000 0000 055f73686970 045f746370 056c6f63616c 00 000c 0001")
        #expect(try query.encoded() == golden)
        #expect(try DNSMessage(decoding: golden) == query)
    }

    @Test func theUnicastResponseBitIsTheTopBitOfTheQuestionClass() throws {
        let q = DNSMessage.query([DNSQuestion(name: DNSName("a.local"), type: .any, unicastResponse: true)])
        let bytes = try q.encoded()
        #expect(Array(bytes.suffix(4)) == [0x00, 0xFF, 0x80, 0x01])  // RFC 6762 §18.12
        #expect(try DNSMessage(decoding: bytes).questions[0].unicastResponse)
    }

    @Test func aResponseCompressesNamesInsideRecordDataAndSetsCacheFlushOnTheUniqueRecord() throws {
        let instance = Self.ship.prepending("Wallbox")
        let response = DNSMessage.response(answers: [
            DNSResourceRecord(name: Self.ship, ttlSeconds: 4500, data: .ptr(instance)),
            DNSResourceRecord(name: instance, cacheFlush: true, ttlSeconds: 120,
                              data: .srv(priority: 0, weight: 0, port: 4712, target: DNSName("wallbox.local"))),
        ])
        // Offsets: the PTR's owner name at 12; its data (at 40) is "Wallbox" and a pointer to 12; the SRV's owner is a
        // pointer to 40; its target "wallbox" and a pointer to "local" at 23 (RFC 1035 §4.1.4).
        let golden = hex("""
            0000 8400 0000 0002 0000 0000
            055f73686970 045f746370 056c6f63616c 00  000c 0001 00001194 000a  0757616c6c626f78 c00c
            c028 0021 8001 00000078 0010  0000 0000 1268  0777616c6c626f78 c017
            """)
        #expect(try response.encoded() == golden)
        let read = try DNSMessage(decoding: golden)
        #expect(read == response)
        #expect(read.answers[1].cacheFlush && !read.answers[0].cacheFlush)
    }

    @Test func theCompressionExampleOfRFC1035ReadsBack() throws {
        // RFC 1035 §4.1.4's example, laid out from octet 12 instead of 20: F.ISI.ARPA, then FOO.F.ISI.ARPA as "FOO" and
        // a pointer to F.ISI.ARPA, then ARPA as a pointer into the first name.
        let golden = hex("""
            0000 0000 0003 0000 0000 0000
            0146 03495349 0441525041 00  0001 0001
            03464f4f c00c  0001 0001
            c012  0001 0001
            """)
        let m = try DNSMessage(decoding: golden)
        #expect(m.questions.map(\.name) == [DNSName("F.ISI.ARPA"), DNSName("FOO.F.ISI.ARPA"), DNSName("ARPA")])
        #expect(try m.encoded() == golden)
    }

    @Test func namesCompareWithoutRegardToASCIICase() {
        #expect(DNSName("_SHIP._tcp.Local") == Self.ship)
        #expect(Set([DNSName("A.local"), DNSName("a.LOCAL")]).count == 1)
        #expect(DNSName(labels: ["Ä", "local"]) != DNSName(labels: ["ä", "local"]))  // only ASCII folds (RFC 6762 §16)
    }

    @Test func everyTypeTheResponderUsesRoundTrips() throws {
        let host = DNSName("h.local")
        let m = DNSMessage(id: 0x1234, isResponse: true, questions: [DNSQuestion(name: host, type: .a)], answers: [
            DNSResourceRecord(name: host, cacheFlush: true, ttlSeconds: 120, data: .a([192, 168, 1, 20])),
            DNSResourceRecord(name: host, cacheFlush: true, ttlSeconds: 120, data: .aaaa(MDNSAddress("fd00::1")!.octets)),
            DNSResourceRecord(name: Self.ship.prepending("X.Y"), ttlSeconds: 4500, data: .txt([Array("txtvers=1".utf8), Array("id=abc".utf8)])),
            DNSResourceRecord(name: host, cacheFlush: true, ttlSeconds: 120, data: .nsec(next: host, types: [.a, .aaaa])),
        ], additionals: [DNSResourceRecord(name: host, type: DNSRecordType(rawValue: 99), ttlSeconds: 5, data: .other([1, 2, 3]))])
        let read = try DNSMessage(decoding: try m.encoded())
        #expect(read == m)
        #expect(read.answers[2].name.labels.first == "X.Y")  // a dot inside an instance label stays one label
    }

    @Test func anNSECRecordHasTheBitMapOfRFC4034() throws {
        let r = DNSMessage.response(answers: [DNSResourceRecord(name: DNSName("h.local"), ttlSeconds: 120, data: .nsec(next: DNSName("h.local"), types: [.a, .aaaa]))])
        let bytes = try r.encoded()
        // Next name as a pointer to 12, window 0, 4 octets: A (1) is 0x40 in octet 0, AAAA (28) is 0x08 in octet 3.
        #expect(Array(bytes.suffix(8)) == [0xC0, 0x0C, 0x00, 0x04, 0x40, 0x00, 0x00, 0x08])
    }

    @Test func anEmptyTXTRecordIsOneEmptyString() throws {
        let r = DNSMessage.response(answers: [DNSResourceRecord(name: DNSName("x.local"), ttlSeconds: 1, data: .txt([]))])
        let bytes = try r.encoded()
        #expect(Array(bytes.suffix(3)) == [0x00, 0x01, 0x00])  // RDLENGTH 1, one string of length 0 (RFC 6763 §6.1)
    }

    @Test func writingRefusesLabelsAndNamesTooLong() {
        let long = String(repeating: "a", count: 64)
        #expect(throws: DNSMessageError.self) { try DNSMessage.query([DNSQuestion(name: DNSName(labels: [long]), type: .a)]).encoded() }
        let deep = DNSName(labels: Array(repeating: "abcdefg", count: 40))
        #expect(throws: DNSMessageError.self) { try DNSMessage.query([DNSQuestion(name: deep, type: .a)]).encoded() }
        #expect(throws: DNSMessageError.self) { try DNSMessage.query([DNSQuestion(name: DNSName(labels: ["a", "", "b"]), type: .a)]).encoded() }
    }

    // MARK: Hostile packets

    private func refused(_ bytes: [UInt8], _ words: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let m = try DNSMessage(decoding: bytes)
            Issue.record("read \(m)", sourceLocation: sourceLocation)
        } catch let e as DNSMessageError {
            #expect(e.description.contains(words), "\(e.description)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aPointerToItselfOrForwardIsRefused() {
        refused(hex("0000 0000 0001 0000 0000 0000  c00c 0001 0001"), "does not point backwards")
        refused(hex("0000 0000 0001 0000 0000 0000  c00e c00c 0001"), "does not point backwards")
    }

    @Test func aLoopThroughTwoPointersIsRefused() {
        // The second question's name points back to the first, whose second label is a pointer to the second: every
        // loop needs one pointer that points forward.
        refused(hex("0000 0000 0002 0000 0000 0000  0161 c012 0001 0001  c00c 0001 0001"), "does not point backwards")
    }

    @Test func aNameLongerThan255OctetsThroughPointersIsRefused() {
        // Five questions, each 30 labels of one octet pointing back at the previous question's name: the fifth name
        // would be 301 octets.
        var bytes = hex("0000 0000 0005 0000 0000 0000")
        var previous: Int?
        for _ in 0..<5 {
            let start = bytes.count
            bytes += Array(repeating: [UInt8(1), 0x61], count: 30).flatMap { $0 }
            if let previous { bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)] } else { bytes.append(0) }
            bytes += [0, 1, 0, 1]
            previous = start
        }
        refused(bytes, "longer than 255")
    }

    @Test func countsLargerThanThePacketAreRefusedAtOnce() {
        refused(hex("0000 8400 0000 ffff 0000 0000"), "counts 0/65535/0/0")
        refused(hex("0000 0000 ffff ffff ffff ffff  00 0001 0001"), "need at least")
    }

    @Test func aRecordDataLengthPastTheEndIsRefused() {
        refused(hex("0000 8400 0000 0001 0000 0000  00 0001 0001 00000078 0010 c0a80001"), "RDLENGTH 16")
        refused(hex("0000 8400 0000 0001 0000 0000  00 0001 0001 00000078 0003 c0a800"), "an A record has 4")
        refused(hex("0000 8400 0000 0001 0000 0000  00 0010 0001 00000078 0003 05 6162"), "runs past the record's data")
        refused(hex("0000 8400 0000 0001 0000 0000  00 000c 0001 00000078 0002 0161 00"), "RDLENGTH says 2")
    }

    @Test func extendedLabelTypesAreRefused() {
        refused(hex("0000 0000 0001 0000 0000 0000  4101 00 0001 0001"), "label type 0x40")
    }

    @Test func everyTruncationOfAValidMessageIsRefused() throws {
        let instance = Self.ship.prepending("Wallbox")
        let full = try DNSMessage.response(answers: [
            DNSResourceRecord(name: Self.ship, ttlSeconds: 4500, data: .ptr(instance)),
            DNSResourceRecord(name: instance, cacheFlush: true, ttlSeconds: 120, data: .srv(priority: 0, weight: 0, port: 1, target: DNSName("w.local"))),
            DNSResourceRecord(name: instance, cacheFlush: true, ttlSeconds: 4500, data: .txt([Array("a=b".utf8)])),
            DNSResourceRecord(name: DNSName("w.local"), cacheFlush: true, ttlSeconds: 120, data: .a([10, 0, 0, 1])),
        ]).encoded()
        for n in 0..<full.count { #expect(throws: DNSMessageError.self) { try DNSMessage(decoding: Array(full.prefix(n))) } }
        #expect(try DNSMessage(decoding: full).answers.count == 4)
    }

    @Test func randomlyDamagedMessagesNeverCrashTheReader() throws {
        let base = try DNSMessage.response(answers: [
            DNSResourceRecord(name: Self.ship, ttlSeconds: 4500, data: .ptr(Self.ship.prepending("W"))),
            DNSResourceRecord(name: Self.ship.prepending("W"), ttlSeconds: 120, data: .nsec(next: DNSName("w.local"), types: [.srv, .txt])),
        ]).encoded()
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var read = 0, refusedCount = 0
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<(1 + next() % 4) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            if next() % 3 == 0 { bytes = Array(bytes.prefix(next() % bytes.count)) }
            if (try? DNSMessage(decoding: bytes)) != nil { read += 1 } else { refusedCount += 1 }
        }
        #expect(read + refusedCount == 20_000)
        #expect(refusedCount > 0)
    }

    // MARK: TXT (RFC 6763 §6)

    @Test func txtPairsKeepTheirOrderAndTheFirstOfARepeatedKeyCounts() throws {
        let txt = DNSSDTXT(strings: [Array("txtvers=1".utf8), Array("ID=x".utf8), Array("id=y".utf8), Array("flag".utf8),
                                     Array("empty=".utf8), [], Array("=nokey".utf8)])
        #expect(txt.entries.map(\.key) == ["txtvers", "ID", "flag", "empty"])
        #expect(txt["id"] == "x")
        #expect(txt["flag"] == nil && txt.contains("flag"))
        #expect(txt["empty"] == "")
        #expect(try txt.strings() == [Array("txtvers=1".utf8), Array("ID=x".utf8), Array("flag".utf8), Array("empty=".utf8)])
    }

    @Test func txtKeysWithEqualsOrControlCharactersAreRefused() {
        #expect(throws: DNSMessageError.self) { try DNSSDTXT(pairs: [("a=b", "c")]).strings() }
        #expect(throws: DNSMessageError.self) { try DNSSDTXT(pairs: [("", "c")]).strings() }
        #expect(throws: DNSMessageError.self) { try DNSSDTXT(pairs: [("k", String(repeating: "v", count: 254))]).strings() }
    }

    @Test func addressesPrintAndParseInTheirTextForms() {
        #expect(MDNSAddress("192.168.0.7")?.description == "192.168.0.7")
        #expect(MDNSAddress("fe80:0:0:0:1:0:0:2")?.description == "fe80::1:0:0:2")
        #expect(MDNSAddress("2001:db8::1")?.octets == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        #expect(MDNSAddress("::")?.description == "::")
        #expect(MDNSAddress("fe80::1")?.isIPv6LinkLocal == true)
        for bad in ["1.2.3", "1.2.3.256", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::"] { #expect(MDNSAddress(bad) == nil, "\(bad)") }
    }
}
