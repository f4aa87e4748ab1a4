import Testing

@testable import EXI

/// The runtime primitives against bit patterns worked out by hand from W3C EXI 1.0 Second Edition §7.
struct EXIRuntimeTests {
    @Test func nBitValuesArePackedMostSignificantBitFirst() throws {
        var w = EXIBitWriter()
        w.write(0b101, bits: 3)
        w.writeBoolean(true)
        w.write(0x1FF, bits: 9)
        #expect(w.bytes == [0b1011_1111, 0b1111_1000])
        var r = EXIBitReader(w.bytes)
        #expect(try r.read(bits: 3) == 0b101)
        #expect(try r.readBoolean())
        #expect(try r.read(bits: 9) == 0x1FF)
        #expect(r.position == 13)
    }

    @Test func unsignedIntegersAreSevenBitGroupsLeastSignificantFirst() throws {
        // §7.1.6: 0 → 00, 127 → 7F, 128 → 80 01, 300 → AC 02.
        for (value, bytes) in [(UInt64(0), [UInt8(0x00)]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02])] {
            var w = EXIBitWriter()
            w.writeUnsigned(value)
            #expect(w.bytes == bytes)
            var r = EXIBitReader(bytes)
            #expect(try r.readUnsigned() == value)
        }
        var w = EXIBitWriter()
        w.writeUnsigned(UInt64.max)
        var r = EXIBitReader(w.bytes)
        #expect(try r.readUnsigned() == UInt64.max)
    }

    @Test func unsignedIntegersWiderThan64BitsAreAnError() {
        var r = EXIBitReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: EXIError.self) { try r.readUnsigned() }
    }

    @Test func integersAreASignBitAndAMagnitude() throws {
        // §7.1.5: −1 → sign 1, magnitude 0; 5 → sign 0, magnitude 5.
        var w = EXIBitWriter()
        w.writeSigned(-1)
        w.writeSigned(5)
        #expect(w.bytes == [0b1000_0000, 0b0000_0001, 0b0100_0000])
        var r = EXIBitReader(w.bytes)
        #expect(try r.readSigned() == -1)
        #expect(try r.readSigned() == 5)
        for v in [Int64.min, Int64.max, -300, 0] {
            var w = EXIBitWriter()
            w.writeSigned(v)
            var r = EXIBitReader(w.bytes)
            #expect(try r.readSigned() == v)
        }
    }

    @Test func readingPastTheEndIsAnErrorWithThePosition() {
        var r = EXIBitReader([0xAB])
        #expect(throws: EXIError(bitPosition: 0, "stream ends, 9 more bits expected")) { try r.read(bits: 9) }
    }

    @Test func theDecoderResolvesStringTableHits() throws {
        // §7.3.3: a miss is length + 2 and the code points; a later use in the same partition may be a local hit (0
        // and a compact id of ceil(log2(1)) = 0 bits), in another partition a global hit (1 and 0 bits here).
        let bytes: [UInt8] = [0x04, 0x61, 0x62, 0x00, 0x01, 0x02]
        var r = EXIBitReader(bytes)
        var read = EXIStringTable()
        for q in [7, 7, 8] {
            #expect(try EXIValueDecoder.decodeString(qname: q, maxLength: nil, reader: &r, strings: &read) == "ab")
        }
        #expect(try EXIValueDecoder.decodeString(qname: 8, maxLength: nil, reader: &r, strings: &read) == "")
        var bad = EXIBitReader([0x00, 0x00])
        var empty = EXIStringTable()
        #expect(throws: EXIError.self) { try EXIValueDecoder.decodeString(qname: 1, maxLength: nil, reader: &bad, strings: &empty) }
    }

    @Test func theEncoderWritesEveryStringAsALiteral() {
        // As EXIficient (Josev) and cbexigen's codecs do: a repeated value is written again, never as a hit.
        var w = EXIBitWriter()
        var table = EXIStringTable()
        EXIValueEncoder.encodeString("ab", qname: 7, writer: &w, strings: &table)
        EXIValueEncoder.encodeString("ab", qname: 7, writer: &w, strings: &table)
        #expect(w.bytes == [0x04, 0x61, 0x62, 0x04, 0x61, 0x62])
    }

    @Test func aForgedStringLengthIsRefusedBeforeAllocating() {
        var w = EXIBitWriter()
        w.writeUnsigned(1_000_000_002)
        var r = EXIBitReader(w.bytes)
        var table = EXIStringTable()
        #expect(throws: EXIError.self) { try EXIValueDecoder.decodeString(qname: 0, maxLength: nil, reader: &r, strings: &table) }
    }

    @Test func facetsAreCheckedOnBothSides() {
        #expect(EXIDatatype.boundedInteger(min: 1, max: 20).violation(.integer(21)) == "21 outside 1…20")
        #expect(EXIDatatype.string(minLength: nil, maxLength: 3).violation(.string("abcd")) == "length 4 above maxLength 3")
        #expect(EXIDatatype.binary(base64: false, minLength: nil, maxLength: 8).violation(.binary(Array(repeating: 0, count: 9))) != nil)
        #expect(EXIDatatype.enumeration(["A", "B"]).violation(.string("C")) != nil)
        #expect(exiBitWidth(1) == 0 && exiBitWidth(2) == 1 && exiBitWidth(3) == 2 && exiBitWidth(81) == 7 && exiBitWidth(4096) == 12)
    }

    @Test func hexAndBase64() {
        #expect(EXIHex.encode([0xC0, 0x8C]) == "C08C")
        #expect(EXIHex.decode("c08C") == [0xC0, 0x8C])
        #expect(EXIHex.decode("C0 8") == nil)
        #expect(EXIBase64.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw==")
        #expect(EXIBase64.decode("YW55IGNhcm5hbCBwbGVhcw==") == Array("any carnal pleas".utf8))
        #expect(EXIBase64.decode("YW5=IGNh") == nil)
    }
}
