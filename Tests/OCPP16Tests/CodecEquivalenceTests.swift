import Foundation
import Testing
@testable import OCPP16
import TestSupport

/// Random JSON texts and values built from the catalog's own names (so that the parser's name table is hit), from
/// strings around the eight-byte steps of the parser's scan, with escapes, non-ASCII and control characters.
struct JSONFuzz {
    var rng: SplitMix64
    let names = OCPP16Catalog.names

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// The body of a string literal (escaped as JSON wants, or now and then not).
    mutating func stringLiteral() -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...4: return names.randomElement(using: &rng)!
        case 5:
            // A name with one character escaped: the same String by another path.
            let n = names.randomElement(using: &rng)!
            return #"\u00"# + String(n.utf8.first!, radix: 16) + String(n.dropFirst())
        case 6: return String(names.randomElement(using: &rng)!.dropLast())  // a near miss
        default:
            let pieces = ["a", "Z", "0", " ", "é", "😀", #"\""#, #"\\"#, #"\n"#, #"\/"#, #"\u0041"#, #"\ud83d\ude00"#, "-", ".", ":"]
            let count = Int.random(in: 0...40, using: &rng)
            return (0..<count).map { _ in chance(0.7) ? "x" : pieces.randomElement(using: &rng)! }.joined()
        }
    }

    mutating func space() -> String { chance(0.8) ? "" : [" ", "\n", "\t", "\r\n "].randomElement(using: &rng)! }

    mutating func text(depth: Int = 0) -> String {
        let kind = depth > 4 ? Int.random(in: 0..<5, using: &rng) : Int.random(in: 0..<8, using: &rng)
        switch kind {
        case 0: return "null"
        case 1: return chance(0.5) ? "true" : "false"
        case 2: return String(Int64.random(in: -1_000_000...1_000_000, using: &rng))
        case 3: return [String(Double.random(in: -1e6...1e6, using: &rng)), "1e3", "-0.5", "9223372036854775808", "12.50"].randomElement(using: &rng)!
        case 4: return "\"" + stringLiteral() + "\""
        case 5:
            let items = (0..<Int.random(in: 0...5, using: &rng)).map { _ in space() + text(depth: depth + 1) + space() }
            return "[" + items.joined(separator: ",") + "]"
        default:
            let members = (0..<Int.random(in: 0...8, using: &rng)).map { _ in
                space() + "\"" + stringLiteral() + "\"" + space() + ":" + space() + text(depth: depth + 1)
            }
            return "{" + members.joined(separator: ",") + space() + "}"
        }
    }

    /// One byte changed, removed or inserted (mostly making the text invalid).
    mutating func mutate(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return [0x22] }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        let noise: [UInt8] = [0x22, 0x5C, 0x00, 0x1F, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0xC3, 0xFF, 0x41]
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: bytes[at] = noise.randomElement(using: &rng)!
        case 1: bytes.remove(at: at)
        default: bytes.insert(noise.randomElement(using: &rng)!, at: at)
        }
        return bytes
    }
}

@Suite("The faster codec answers as the one it replaced (issue 31, seeded random inputs)")
struct CodecEquivalenceTests {
    /// Same value, or the same failure (offset and reason), for texts that are valid and for texts one byte off.
    @Test("parser: same values and same failures", arguments: [1, 2, 3, 4] as [UInt64])
    func parser(seed: UInt64) {
        var fuzz = JSONFuzz(rng: SplitMix64(seed: seed))
        for _ in 0..<500 {
            let text = fuzz.text()
            for bytes in [Array(text.utf8), fuzz.mutate(text)] {
                let new = Result { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) }
                let old = Result { () throws(JSONParser.Failure) in try ReferenceJSONParser.parse(bytes) }
                // Compared member by member in document order (JSONObject's == looks keys up, and a repeated key makes
                // it compare the earlier value with the last one).
                #expect(new.map { reflectedMembers($0) } == old.map { reflectedMembers($0) }, "\(String(decoding: bytes, as: UTF8.self))")
                if case .success(let v) = new, case .success(let r) = old {
                    #expect(v.serialized == r.referenceSerialized, "\(String(decoding: bytes, as: UTF8.self))")
                }
            }
        }
    }

    @Test("parser: strings of every length up to 40 around the scan's eight-byte steps, escapes and controls anywhere")
    func stringBoundaries() {
        for length in 0...40 {
            for offset in 0..<9 {
                let prefix = "[" + String(repeating: " ", count: offset) + "\""
                for special in ["", #"\""#, #"\\"#, "\u{1}", "é", "😀", #"\u00e9"#] {
                    for at in Set([0, length / 2, length]) {
                        var body = String(repeating: "k", count: length)
                        body.insert(contentsOf: special, at: body.index(body.startIndex, offsetBy: at))
                        for text in [prefix + body + "\"]", prefix + body, prefix + body + "\"", prefix + body + "\" ]"] {
                            let new = Result { () throws(JSONParser.Failure) in try JSONParser.parse(text) }
                            let old = Result { () throws(JSONParser.Failure) in try ReferenceJSONParser.parse(Array(text.utf8)) }
                            #expect(new.map { reflectedMembers($0) } == old.map { reflectedMembers($0) }, "\(text.debugDescription)")
                        }
                    }
                }
            }
        }
    }

    /// Every name of the table comes back as the table's String; near misses and other text become Strings of their own.
    @Test("name table: every name found, near misses not")
    func nameTable() throws {
        for name in OCPP16Catalog.names {
            guard case .array(let items) = try JSONParser.parse("[\"\(name)\", \"\(name)x\", \"x\(name)\"]") else { Issue.record("not an array"); return }
            #expect(items == [.string(name), .string(name + "x"), .string("x" + name)])
            if case .string(let s) = items[0] { #expect(StringBits(s) == StringBits(name) || s == name) }
        }
        #expect(try JSONParser.parse(#""Acceptedd""#) == .string("Acceptedd"))
        #expect(try JSONParser.parse(#""Acc\u0065pted""#) == .string("Accepted"))
        #expect(try JSONParser.parse(#""""#) == .string(""))
    }

    @Test("object lookup: the last of repeated keys, whatever path built the key")
    func lookup() throws {
        var rng = SplitMix64(seed: 7)
        let keys = ["value", "unit", "phase", "Accepted", "measurand", "Energy.Active.Import.Register", "x", "é", "e\u{301}"]
        for _ in 0..<2000 {
            var o = JSONObject()
            for _ in 0..<Int.random(in: 0...8, using: &rng) {
                // A key from a literal or from a new String with the same characters.
                let k = keys.randomElement(using: &rng)!
                o.append(Bool.random(using: &rng) ? k : String(decoding: Array(k.utf8), as: UTF8.self), .integer(Int64.random(in: 0...9, using: &rng)))
            }
            for k in keys { #expect(o[k] == o.referenceValue(k)) }
        }
    }

    /// The check walks every schema of the catalog (requests and responses) over values drawn from the schema with
    /// random violations: the same CALLERROR code and the same description, or both accept.
    @Test("schema check: same CALLERROR (code and description) for every action", arguments: [11, 12, 13] as [UInt64])
    func schema(seed: UInt64) {
        var fuzz = SchemaFuzz(rng: SplitMix64(seed: seed))
        var answers = Set<OCPPErrorCode?>()
        for (action, entry) in OCPP16Catalog.entries.sorted(by: { $0.key < $1.key }) {
            for schema in [entry.request.schema, entry.request.responseSchema] {
                let reference = ReferenceSchema(schema.node)
                for _ in 0..<60 {
                    let value = fuzz.value(schema.node, depth: 0)
                    let new = Result { () throws(OCPPError) -> Bool in try schema.validate(value); return true }
                    let old = Result { () throws(OCPPError) -> Bool in try reference.validate(value); return true }
                    #expect(new == old, "\(action): \(value.serialized)")
                    if case .failure(let e) = new { answers.insert(e.code) } else { answers.insert(nil) }
                }
            }
        }
        // The draw reaches every answer of the check.
        #expect(answers == [nil, .formationViolation, .occurenceConstraintViolation, .typeConstraintViolation, .propertyConstraintViolation])
    }

    @Test("writer: the same text", arguments: [21, 22] as [UInt64])
    func writer(seed: UInt64) throws {
        var fuzz = JSONFuzz(rng: SplitMix64(seed: seed))
        for _ in 0..<2000 {
            let v = try ReferenceJSONParser.parse(Array(fuzz.text().utf8))
            #expect(v.serialized == v.referenceSerialized)
            // Frames as the reference wrote them: one JSON array of their elements.
            let id = fuzz.stringLiteral(), text = fuzz.stringLiteral()
            #expect(OCPPFrame.call(id: id, action: text, payload: v).serialized() == JSONValue.array([.integer(2), .string(id), .string(text), v]).referenceSerialized)
            #expect(OCPPFrame.callResult(id: id, payload: v).serialized() == JSONValue.array([.integer(3), .string(id), v]).referenceSerialized)
            #expect(OCPPFrame.callError(id: id, code: text, description: text, details: v).serialized()
                    == JSONValue.array([.integer(4), .string(id), .string(text), .string(text), v]).referenceSerialized)
        }
        let controls = JSONValue.string(String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self) + "é😀\u{7F}")
        #expect(controls.serialized == controls.referenceSerialized)
        for i in [Int64.min, Int64.max, 0, -1, 9, 10, -10, 1_287] { #expect(JSONValue.integer(i).serialized == String(i)) }
        #expect(JSONValue.object(["b": .null, "a": .number(16), "c": .number(0.1)]).serialized == #"{"a":16.0,"b":null,"c":0.1}"#)
    }
}

/// Values drawn from a schema, each rule broken now and then (type, enumeration, length, range, date-time, decimals,
/// required property left out, unknown property added, null, a repeated key).
struct SchemaFuzz {
    var rng: SplitMix64

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func value(_ node: Schema.Node, depth: Int) -> JSONValue {
        if chance(0.02) { return [.null, .bool(true), .integer(3), .number(2.5), .string("x"), .array([]), .object([:])].randomElement(using: &rng)! }
        switch node.kind {
        case .string:
            if let values = node.values { return .string(chance(0.05) ? values[0] + "x" : values.randomElement(using: &rng)!) }
            if node.dateTime {
                return .string(["2026-11-21T10:00:00.000Z", "2026-11-21T11:00:00+01:00", "2024-02-29T00:00:00Z", "2026-02-29T00:00:00Z",
                                "2026-11-21T10:00:00", "tomorrow"].randomElement(using: &rng)!)
            }
            let limit = node.maxLength ?? 30
            let length = chance(0.1) ? limit + 1 : Int.random(in: 0...limit, using: &rng)
            return .string(String(repeating: chance(0.2) ? "é" : "A", count: length))
        case .integer:
            let low = node.minimumInteger ?? -5, high = node.maximumInteger ?? 1000
            let i = chance(0.1) ? [low - 1, high + 1].randomElement(using: &rng)! : Int64.random(in: low...high, using: &rng)
            return chance(0.1) ? .number(Double(i)) : .integer(i)
        case .number:
            let d = Double(Int.random(in: -10...500, using: &rng)) / [1, 10, 100].randomElement(using: &rng)!
            return chance(0.2) ? .integer(Int64(d)) : .number(d)
        case .boolean:
            return .bool(chance(0.5))
        case .array:
            let count = chance(0.1) ? max(0, node.minItems - 1) : Int.random(in: node.minItems...(node.minItems + 3), using: &rng)
            return .array((0..<count).map { _ in depth > 6 ? .null : value(node.item!, depth: depth + 1) })
        case .object:
            var o = JSONObject()
            for (j, name) in node.names.enumerated().shuffled(using: &rng) {
                if node.required[j] ? chance(0.03) : chance(0.5) { continue }
                let v = depth > 6 ? JSONValue.null : value(node.children[j], depth: depth + 1)
                // A name from the schema or a new String of the same characters; now and then a repeated key.
                o.append(chance(0.5) ? name : String(decoding: Array(name.utf8), as: UTF8.self), v)
                if chance(0.03) { o.append(name, .null) }
            }
            if chance(0.03) { o.append("unknownProperty", .integer(1)) }
            return .object(o)
        }
    }
}
