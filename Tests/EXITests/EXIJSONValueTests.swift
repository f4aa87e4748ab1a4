@testable import EXI
import FoundationEssentials
import Testing

@Suite struct EXIJSONValueTests {
    @Test func integersBeyondTwoToTheFiftyThreeStayExact() throws {
        let v = try JSONDecoder().decode(EXIJSONValue.self, from: Data(#"{"a":9007199254740993,"b":18446744073709551615,"c":-5,"d":1.5}"#.utf8))
        #expect(v == .object(["a": .integer(9_007_199_254_740_993), "b": .unsigned(18_446_744_073_709_551_615), "c": .integer(-5), "d": .number(1.5)]))
    }

    @Test func writesSortedKeysEscapesAndNoSlashEscape() {
        var out = ""
        EXIJSONValue.object(["b": .string("a/b\"c\\\n\u{01}"), "a": .array([.bool(true), .null])]).write(to: &out, indent: nil)
        #expect(out == #"{"a":[true,null],"b":"a/b\"c\\\n\u0001"}"#)
    }

    @Test func prettyPrintsWithTwoSpacesAndSpacedColons() {
        var out = ""
        EXIJSONValue.object(["a": .array([.integer(1)]), "b": .object([:])]).write(to: &out, indent: 0)
        #expect(out == "{\n  \"a\" : [\n    1\n  ],\n  \"b\" : {}\n}")
    }
}
