import Foundation
import Testing
@testable import OCPP16

@Suite("JSON parser and value decoder")
struct JSONParserTests {
    @Test("valid JSON", arguments: [
        (#"{"a":[1,-2,3.5,1e3,true,false,null,"x"]}"#, JSONValue.object(["a": .array([.integer(1), .integer(-2), .number(3.5), .number(1000), .bool(true), .bool(false), .null, .string("x")])])),
        (#"  [ ]  "#, .array([])),
        (#"{}"#, .object([:])),
        (#""\u00e9\n\"\\\/\ud83d\ude00""#, .string("é\n\"\\/😀")),
        (#"9223372036854775807"#, .integer(Int64.max)),
        (#"9223372036854775808"#, .number(9_223_372_036_854_775_808)),
        (#"0.1"#, .number(0.1)),
    ])
    func valid(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test("invalid JSON is refused with an offset", arguments: [
        "", "[", "{", #"{"a"}"#, #"{"a":}"#, "[1,]", "[1 2]", "01", "1.", "-", "+1", ".5", "1e", "tru", "nul", #""abc"#,
        "\"\u{1}\"", #""\x""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, "[1]x", "NaN", "Infinity", "1e999",
    ])
    func invalid(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depth() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(String(repeating: "[", count: 100_000)) }
        #expect(throws: Never.self) { try JSONParser.parse(String(repeating: "[", count: 60) + String(repeating: "]", count: 60)) }
    }

    @Test("serialization round-trips")
    func roundTrip() throws {
        let text = #"{"b":[1,2.5,"q\"\n"],"a":{"z":null,"y":true},"c":-7}"#
        let v = try JSONParser.parse(text)
        #expect(v.serialized == #"{"a":{"y":true,"z":null},"b":[1,2.5,"q\"\n"],"c":-7}"#)
        #expect(try JSONParser.parse(v.serialized) == v)
        #expect(JSONValue.number(16).serialized == "16.0", "decimals stay decimals")
        #expect(JSONValue.string("\u{1}").serialized == #""\u0001""#)
    }

    @Test("typed fields check types and presence")
    func fields() throws {
        let f = try JSONFields(try JSONParser.parse(#"{"i":3,"d":4,"t":"2026-01-01T00:00:00Z","a":["x","y"],"n":null,"s":"q"}"#))
        #expect(try f.int("i") == 3 && f.double("d") == 4 && f.date("t") == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(try f.array("a", JSONElement.string) == ["x", "y"])
        #expect(try f.optionalString("n") == nil && f.optionalString("missing") == nil && f.string("s") == "q")
        #expect(throws: OCPPError.self) { try f.string("i") }
        #expect(throws: OCPPError.self) { try f.int("missing") }
        #expect(throws: OCPPError.self) { try f.date("s") }
        #expect(throws: OCPPError.self) { try JSONFields(.array([])) }
        let mv = try MeterValue(json: try JSONParser.parse(#"{"timestamp":"2026-01-01T00:00:00Z","sampledValue":[{"value":"1"}]}"#))
        #expect(mv.sampledValue == [SampledValue(value: "1")])
    }

    @Test("a repeated key: the last value wins, and it does not stand in for a missing required property")
    func duplicateKeys() throws {
        let v = try JSONParser.parse(#"{"connectorId":1,"connectorId":2}"#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o["connectorId"] == .integer(2))
        #expect(v.serialized == #"{"connectorId":2}"#, "written once, with the last value")
        #expect { try MeterValuesRequest.schema.validate(v) } throws: { ($0 as? OCPPError)?.code == .occurenceConstraintViolation }
    }
}
