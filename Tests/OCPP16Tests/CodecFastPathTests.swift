import Foundation
import Testing
@testable import OCPP16
import TestSupport

/// The fast paths of issue 31's second round, each against the plain way it stands for: a wrong fast path fails here.
@Suite("Codec fast paths (issue 31): the same answers as the plain way")
struct CodecFastPathTests {
    /// The same value (member by member, in document order) or the same failure as the reference parser.
    func expectSameAsReference(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let new = Result { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) }
        let old = Result { () throws(JSONParser.Failure) in try ReferenceJSONParser.parse(bytes) }
        #expect(new.map { reflectedMembers($0) } == old.map { reflectedMembers($0) }, "\(bytes)", sourceLocation: sourceLocation)
    }

    @Test("strings: escapes, surrogate pairs and controls at every position around the eight-byte scan")
    func escapes() throws {
        let specials = [#"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#, #"\r"#, #"\t"#, #"\u0041"#, #"\u00e9"#, #"\ud83d\ude00"#,
                        #"\ud83d"#, #"\ude00"#, #"\ud83d\u0041"#, #"\u12"#, #"\x"#, "\u{0}", "\u{1F}", "\u{7F}"]
        for special in specials {
            for before in 0...17 {
                let text = "[\"" + String(repeating: "a", count: before) + special + "bc\"]"
                expectSameAsReference(Array(text.utf8))
                // The same as a key, as the name table's neighbour, and cut short.
                expectSameAsReference(Array(("{\"" + String(repeating: "a", count: before) + special + "\":1}").utf8))
                expectSameAsReference(Array(("[\"" + String(repeating: "a", count: before) + special).utf8))
            }
        }
        #expect(try JSONParser.parse(#"["\ud83d\ude00", "\u00e9t\u00e9"]"#) == .array([.string("😀"), .string("été")]))
    }

    @Test("strings: invalid UTF-8 is repaired as before, wherever it falls in the scan")
    func invalidUTF8() throws {
        let invalid: [[UInt8]] = [[0x80], [0xBF], [0xC3], [0xC0, 0xAF], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80],
                                  [0xFF], [0xFE, 0xFF], [0xC3, 0x28]]
        for sequence in invalid {
            for before in 0...17 {
                let a = Array(repeating: UInt8(ascii: "a"), count: before)
                expectSameAsReference([0x5B, 0x22] + a + sequence + [0x62, 0x22, 0x5D])
                expectSameAsReference([0x7B, 0x22] + a + sequence + [0x22, 0x3A, 0x31, 0x7D])
                // A known name with a broken byte in it is not the name.
                expectSameAsReference([0x5B, 0x22] + Array("Accepted".utf8) + sequence + [0x22, 0x5D])
            }
        }
        #expect(try JSONParser.parse([0x22, 0x41, 0xC3, 0x22]) == .string("A\u{FFFD}"))
    }

    @Test("numbers at the limits: the same integers and numbers, the same refusals")
    func numbers() throws {
        let texts = ["0", "-0", "1", "-1", "999999999999999999", "-999999999999999999", "1000000000000000000", "9223372036854775807",
                     "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "0.0", "-0.0",
                     "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-1e309", "4.9e-324", "1e-400", "123456789012345678901234567890",
                     "00", "-", "1.", ".1", "1e", "1e+", "2E-3", "0x10", "1_000"]
        for text in texts {
            expectSameAsReference(Array(text.utf8))
            expectSameAsReference(Array("[\(text)]".utf8))
            expectSameAsReference(Array("{\"connectorId\":\(text)}".utf8))
        }
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("1e309") }
    }

    /// Parsed objects look their keys up by bits alone (``JSONObject/smallKeys``): the same member as the plain lookup for
    /// keys that are short and ASCII, long, non-ASCII, escaped, repeated, or absent.
    @Test("parsed objects: bitwise lookups find what the plain lookup finds", arguments: [31, 32, 33] as [UInt64])
    func parsedLookup(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let keys = ["value", "unit", "phase", "connectorId", "123456789012345", "1234567890123456", "Energy.Active.Import.Register",
                    "x", "é", "e\u{301}", "K", "\u{212A}", "", "valu", "values"]
        func literal(_ key: String) -> String {
            // The key as written, or with its first character escaped (the parser's slow path builds that String).
            guard let first = key.unicodeScalars.first, Bool.random(using: &rng) else { return key }
            return String(format: "\\u%04x", first.value) + String(key.unicodeScalars.dropFirst())
        }
        for _ in 0..<1500 {
            let members = (0..<Int.random(in: 0...8, using: &rng)).map { _ in
                "\"\(literal(keys.randomElement(using: &rng)!))\":\(Int.random(in: 0...9, using: &rng))"
            }
            let text = "{" + members.joined(separator: ",") + "}"
            guard case .object(let o) = try JSONParser.parse(text) else { Issue.record("not an object: \(text)"); continue }
            #expect(o.smallKeys)
            for k in keys + keys.map({ String(decoding: Array($0.utf8), as: UTF8.self) }) {
                #expect(o[k] == o.referenceValue(k), "\(text) [\(k)]")
            }
        }
        // A changed object is no longer marked.
        guard case .object(var o) = try JSONParser.parse(#"{"unit":"W"}"#) else { Issue.record("not an object"); return }
        var long = String(); long.reserveCapacity(64); long += "unit"
        o[long] = .string("kW")
        #expect(!o.smallKeys && o["unit"] == .string("kW") && o.count == 1)
    }

    @Test("String bits: the small-string layout the lookups rely on")
    func stringBits() {
        let literal = "measurand", parsed = String(decoding: Array("measurand".utf8), as: UTF8.self)
        #expect(StringBits(literal) == StringBits(parsed) && StringBits(literal).isSmallASCII)
        #expect(StringBits("123456789012345").isSmallASCII && StringBits("").isSmallASCII)
        #expect(!StringBits(String(decoding: Array("1234567890123456".utf8), as: UTF8.self)).isSmallASCII)
        #expect(!StringBits("Energy.Active.Import.Register").isSmallASCII)
        #expect(!StringBits("é").isSmallASCII, "small but not ASCII")
        var native = String(); native.reserveCapacity(64); native += "unit"
        #expect(!StringBits(native).isSmallASCII, "four characters in an allocated buffer")
        // Every name the table hands out of at most 15 bytes is a small String.
        for name in OCPP16Catalog.names where name.utf8.count <= 15 {
            guard case .string(let s)? = try? JSONParser.parse("\"\(name)\"") else { Issue.record("not a string: \(name)"); continue }
            #expect(StringBits(s).isSmallASCII, "\(name)")
        }
        #expect(JSONObject.Member.valueOffset == MemoryLayout<JSONObject.Member>.offset(of: \.value))
    }

    /// `OCPPCoding.encode` writes `{}` for a payload whose schema is an empty closed object, without the Encoder: every
    /// such payload of the catalog encodes to the same through the Encoder.
    @Test("empty payloads: the same JSON as the Encoder writes")
    func emptyPayloads() throws {
        var empty = 0
        func check<P: OCPPPayload>(_ type: P.Type) throws {
            guard P.schema.node.isClosedEmptyObject else { return }
            empty += 1
            let payload = try P(json: .object([:]))
            #expect(try JSONValueEncoder.encode(payload) == OCPPCoding.encode(payload), "\(P.self)")
            #expect(OCPPCoding.encode(payload) == .object([:]))
        }
        func request<R: OCPPRequest>(_ type: R.Type) throws { try check(R.self); try check(R.Response.self) }
        for entry in OCPP16Catalog.entries.values { try request(entry.request) }
        #expect(empty >= 10, "MeterValues.conf, StatusNotification.conf, Heartbeat.req, ClearCache.req, …")
        #expect(!MeterValuesRequest.schema.node.isClosedEmptyObject)
    }

    @Test("feature profiles: a set finds each profile (hashed by case)")
    func profiles() {
        let all = Set(FeatureProfile.allCases)
        for p in FeatureProfile.allCases {
            #expect(all.contains(p) && Set([p]).contains(p) && !Set(FeatureProfile.allCases.filter { $0 != p }).contains(p))
            #expect(FeatureProfile(rawValue: p.rawValue) == p)
        }
    }

    /// The decoders of MeterValues read by the faster paths (`array(_:of:)`, the memberwise initializers): the same values
    /// and the same errors, in the same order, as reading each field through the closure-based reader.
    @Test("MeterValues decoding: same values and errors as the closure-based reader")
    func meterValuesDecoding() throws {
        let frames = [
            #"{"connectorId":1,"meterValue":[{"timestamp":"2026-11-21T10:00:00Z","sampledValue":[{"value":"1","unit":"W","phase":"L1"}]}]}"#,
            #"{"connectorId":1,"transactionId":5,"meterValue":[{"timestamp":"2026-11-21T10:00:00Z","sampledValue":[{"v\u0061lue":"2","unit":"W","unit":"kW"}]}]}"#,
            #"{"connectorId":1,"meterValue":null}"#,
            #"{"connectorId":1,"meterValue":{}}"#,
            #"{"connectorId":1}"#,
            #"{"connectorId":"1","meterValue":[]}"#,
            #"{"connectorId":1,"meterValue":[{"timestamp":"2026-11-21T10:00:00Z","sampledValue":[{"unit":"W"}]}]}"#,
            #"{"connectorId":1,"meterValue":[{"timestamp":"yesterday","sampledValue":[{"value":1}]}]}"#,
            #"{"connectorId":1,"meterValue":[{"timestamp":"2026-11-21T10:00:00Z","sampledValue":[{"value":"1","context":7,"unit":3}]}]}"#,
            #"{"connectorId":1,"meterValue":[{"sampledValue":"x"}]}"#,
        ]
        for text in frames {
            let json = try JSONParser.parse(text)
            let new = Result { () throws(OCPPError) in try MeterValuesRequest(json: json) }
            let old = Result { () throws(OCPPError) in try referenceMeterValues(json) }
            #expect(new == old, "\(text)")
        }
    }

    /// MeterValues.req read field by field through `array(_:_:)` with `JSONElement.object` (the reader before issue 31's
    /// second round).
    func referenceMeterValues(_ json: JSONValue) throws(OCPPError) -> MeterValuesRequest {
        func sampled(_ v: JSONValue) throws(OCPPError) -> SampledValue {
            let f = try JSONFields(v)
            var s = SampledValue(value: try f.string("value"))
            s.context = try f.optionalString("context"); s.format = try f.optionalString("format")
            s.measurand = try f.optionalString("measurand"); s.phase = try f.optionalString("phase")
            s.location = try f.optionalString("location"); s.unit = try f.optionalString("unit")
            return s
        }
        func meterValue(_ v: JSONValue) throws(OCPPError) -> MeterValue {
            let f = try JSONFields(v)
            let timestamp = try f.date("timestamp")
            return MeterValue(timestamp: timestamp, sampledValue: try f.array("sampledValue", sampled))
        }
        let f = try JSONFields(json)
        let connectorId = try f.int("connectorId")
        let transactionId = try f.optionalInt("transactionId")
        return MeterValuesRequest(connectorId: connectorId, transactionId: transactionId, meterValue: try f.array("meterValue", meterValue))
    }
}

/// A parsed value as text, members in document order, for comparing two parsers' results: without the parser's
/// `smallKeys` mark (the reference parser builds its objects without it; the mark has tests of its own above).
func reflectedMembers(_ v: JSONValue) -> String {
    String(reflecting: v).replacingOccurrences(of: ", smallKeys: true", with: "").replacingOccurrences(of: ", smallKeys: false", with: "")
}
