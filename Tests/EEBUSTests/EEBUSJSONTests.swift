import EEBUS
import OCPP16
import Testing

/// The EEBUS JSON form (SHIP TS 1.0.1 §13.4.1): golden texts both ways, and the refusals.
@Suite struct EEBUSJSONTests {
    private func plain(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func aSHIPControlMessageKeepsItsOutermostMemberAndTurnsObjectsIntoArraysOfOneMemberObjects() throws {
        let hello = try plain(#"{"connectionHello":{"phase":"ready","waiting":60000}}"#)
        let text = String(decoding: EEBUSJSON.encode(hello), as: UTF8.self)
        #expect(text == #"{"connectionHello":[{"phase":"ready"},{"waiting":60000}]}"#)
        #expect(try EEBUSJSON.decode(Array(text.utf8)) == hello)
    }

    @Test func aListOfObjectsBecomesAnArrayOfArraysAndReadsBack() throws {
        let data = try plain(#"{"payload":{"cmd":[{"loadControlLimitListData":{"loadControlLimitData":[{"limitId":1,"isLimitActive":true},{"limitId":2}]}}]}}"#)
        let text = String(decoding: EEBUSJSON.encode(data), as: UTF8.self)
        #expect(text == #"{"payload":[{"cmd":[[{"loadControlLimitListData":[{"loadControlLimitData":[[{"limitId":1},{"isLimitActive":true}],[{"limitId":2}]]}]}]]}]}"#)
        #expect(try EEBUSJSON.decode(Array(text.utf8)) == data)
    }

    @Test func memberOrderIsKeptAndScalarListsStayLists() throws {
        let text = #"{"header":[{"addressSource":[{"device":"d:_i:1_a"},{"entity":[1,1]},{"feature":3}]},{"msgCounter":7}]}"#
        let value = try EEBUSJSON.decode(Array(text.utf8))
        guard case .object(let outer) = value, case .object(let header)? = outer["header"], case .object(let source)? = header["addressSource"] else {
            Issue.record("not objects: \(value)")
            return
        }
        #expect(header.keys == ["addressSource", "msgCounter"])
        #expect(source["entity"] == .array([.integer(1), .integer(1)]))
        #expect(String(decoding: EEBUSJSON.encode(value), as: UTF8.self) == text)
    }

    @Test func trailingNULBytesArePermittedAndAnEmptyArrayStaysAnArray() throws {
        let value = try EEBUSJSON.decode(Array(#"{"data":[{"payload":[]}]}"#.utf8) + [0, 0])
        #expect(value == .object(["data": .object(["payload": .array([])])]))
    }

    @Test func aPlainObjectWithSeveralMembersIsReadAsThatObject() throws {
        let value = try EEBUSJSON.decode(Array(#"{"a":{"b":1,"c":[{"d":2}]}}"#.utf8))
        #expect(value == .object(["a": .object(["b": .integer(1), "c": .object(["d": .integer(2)])])]))
    }

    @Test func aRepeatedMemberIsRefusedWithItsPath() throws {
        #expect(throws: EEBUSJSON.Failure(#"$.data: member "header" repeated"#)) {
            try EEBUSJSON.decode(Array(#"{"data":[{"header":1},{"header":2}]}"#.utf8))
        }
    }

    @Test func textThatIsNotJSONIsRefusedWithTheByteOffset() throws {
        #expect(throws: EEBUSJSON.Failure("invalid JSON at byte 10: expected a property name")) {
            try EEBUSJSON.decode(Array(#"{"data":[{"#.utf8))
        }
    }
}
