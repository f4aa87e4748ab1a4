import Testing

@testable import EXI

/// The decoder on damaged input: every prefix of valid streams and seeded random bit flips, thousands of cases. Each
/// must end in a thrown EXIError or a message that re-encodes (never a crash, never a hang: every event consumes at
/// least one bit, lengths are bounded by the facets and by what is left of the stream).
struct EXIFuzzTests {
    /// A deterministic generator (SplitMix64) so a failure is reproducible from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let vectors: [(EXISchema, [UInt8])] = [
        (EXI.appProtocol, EXIGoldenTests.sapRequest),
        (EXI.iso2, EXIGoldenTests.sessionSetupRes),
    ] + EXITypedTests.samples()

    /// Decodes; a success must re-encode without error (the decoder accepted only what the grammar allows).
    static func survive(_ bytes: [UInt8], _ schema: EXISchema) -> Bool {
        do {
            let node = try EXICodec.decodeDocument(bytes, schema: schema)
            _ = try EXICodec.encodeDocument(node, schema: schema)
            return true
        } catch is EXIError {
            return false
        } catch {
            Issue.record("unexpected error type \(error)")
            return false
        }
    }

    @Test func everyPrefixIsAnErrorOrAMessage() {
        var cases = 0
        for (schema, bytes) in Self.vectors {
            for n in 0..<bytes.count {
                _ = Self.survive(Array(bytes[0..<n]), schema)
                cases += 1
            }
        }
        #expect(cases > 50)
    }

    @Test func randomBitFlipsAreAnErrorOrAMessage() {
        var rng = SplitMix(state: 0x15118)
        var accepted = 0
        var refused = 0
        for _ in 0..<4000 {
            let (schema, original) = Self.vectors[Int.random(in: 0..<Self.vectors.count, using: &rng)]
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let bit = Int.random(in: 0..<(bytes.count * 8), using: &rng)
                bytes[bit / 8] ^= UInt8(0x80) >> UInt8(bit % 8)
            }
            if Self.survive(bytes, schema) { accepted += 1 } else { refused += 1 }
        }
        #expect(accepted + refused == 4000)
        #expect(refused > 0)
    }

    @Test func randomBytesAreAnErrorOrAMessage() {
        var rng = SplitMix(state: 70121)
        for _ in 0..<2000 {
            var bytes: [UInt8] = [0x80]
            for _ in 0..<Int.random(in: 0...64, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
            _ = Self.survive(bytes, [EXI.appProtocol, EXI.iso2, EXI.din][Int.random(in: 0..<3, using: &rng)])
        }
    }

    @Test func theHeaderMustBeEXI10WithoutOptions() {
        #expect(throws: EXIError.self) { try EXICodec.decodeDocument([0xA0, 0x00], schema: EXI.iso2) }
        #expect(throws: EXIError.self) { try EXICodec.decodeDocument([], schema: EXI.iso2) }
        #expect(throws: EXIError.self) { try EXICodec.decodeDocument(Array("$EXI".utf8) + [0x80], schema: EXI.iso2) }
    }

    @Test func trailingOctetsAreRefused() {
        #expect(throws: EXIError.self) { try EXICodec.decodeDocument(EXIGoldenTests.sapRequest + [0, 0], schema: EXI.appProtocol) }
    }
}
