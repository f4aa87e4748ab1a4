import EEBUS
import OCPP16
import Testing

/// The SPINE datagram (SPINE TS 1.3.0 §5.2): golden texts both ways, strict reading with the path of what is wrong,
/// the bounds, and hostile input that must never crash.
@Suite struct SPINEDatagramTests {
    private let writeText = """
    {"datagram":{"header":{"specificationVersion":"1.3.0",
      "addressSource":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},
      "addressDestination":{"device":"d:_n:Test_Station-1","entity":[1,1],"feature":1},
      "msgCounter":42,"cmdClassifier":"write","ackRequest":true},
     "payload":{"cmd":[{"function":"loadControlLimitListData","filter":[{"cmdControl":{"partial":{}}}],
       "loadControlLimitListData":{"loadControlLimitData":[{"limitId":1,"isLimitActive":true}]}}]}}}
    """

    @Test func aWriteWithAPartialFilterReadsIntoTypedValuesAndWritesBackInTheSameOrder() throws {
        let value = SPINETest.json(writeText)
        let d = try SPINEDatagram(json: value)
        #expect(d.header.specificationVersion == "1.3.0")
        #expect(d.header.source == SPINEFeatureAddress(device: "d:_i:Test_CEM-7", entity: [1], feature: 5))
        #expect(d.header.destination == SPINEFeatureAddress(device: "d:_n:Test_Station-1", entity: [1, 1], feature: 1))
        #expect(d.header.msgCounter == 42 && d.header.msgCounterReference == nil)
        #expect(d.header.classifier == .write && d.header.ackRequest)
        #expect(d.commands.count == 1)
        #expect(d.commands[0].function == "loadControlLimitListData")
        #expect(d.commands[0].isPartial && !d.commands[0].isDelete)
        #expect(SPINETest.ordered(d.json) == SPINETest.ordered(value))
    }

    @Test func theWireFormIsTheEEBUSFormOfThePlainDatagram() throws {
        let header = SPINEHeader(source: SPINEFeatureAddress(device: "d:_n:A", entity: [0], feature: 0),
                                 destination: SPINEFeatureAddress(entity: [0], feature: 0), msgCounter: 1, classifier: .read)
        let d = SPINEDatagram(header: header, commands: [SPINECommand(function: .nodeManagementDetailedDiscoveryData)])
        let wire = String(decoding: EEBUSJSON.encode(d.json), as: UTF8.self)
        #expect(wire == #"{"datagram":[{"header":[{"specificationVersion":"1.3.0"},{"addressSource":[{"device":"d:_n:A"},{"entity":[0]},{"feature":0}]},{"addressDestination":[{"entity":[0]},{"feature":0}]},{"msgCounter":1},{"cmdClassifier":"read"}]},{"payload":[{"cmd":[[{"nodeManagementDetailedDiscoveryData":[]}]]}]}]}"#)
        // The empty object of a read comes back from the wire as [] and reads as an empty object.
        let back = try SPINEDatagram(json: try EEBUSJSON.decode(Array(wire.utf8)))
        #expect(back.header == header)
        #expect(back.commands == [SPINECommand(function: .nodeManagementDetailedDiscoveryData, data: .object(JSONObject()))])
    }

    @Test func aResultCarriesItsReferenceAndAnOlderSpecificationVersionIsRead() throws {
        let d = try SPINEDatagram(json: SPINETest.json("""
        {"datagram":{"header":{"specificationVersion":"1.1.1","addressSource":{"entity":[0],"feature":0},
         "addressDestination":{"entity":[0],"feature":0},"msgCounter":7,"msgCounterReference":3,"cmdClassifier":"result",
         "timestamp":"2027-01-15T08:00:00Z"},"payload":{"cmd":[{"resultData":{"errorNumber":0}}]}}}
        """))
        #expect(d.header.msgCounterReference == 3 && d.header.timestamp == "2027-01-15T08:00:00Z")
        #expect(d.header.source.device == nil)
    }

    /// Each mutation of the write datagram and the refusal that names where it is wrong.
    @Test(arguments: [
        (#"{"other":{}}"#, "$.other: unknown member (a SPINE datagram has only \"datagram\")"),
        (#"{"datagram":{"payload":{"cmd":[]}}}"#, "datagram.header: missing"),
        (#"{"datagram":[1]}"#, "datagram: must be an object, not array"),
        (#"{"datagram":{"header":{"cmdClassifier":"shout"}}}"#, "datagram.header.cmdClassifier: unknown classifier \"shout\" (read, reply, notify, write, call or result)"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":"1"}}}"#, "datagram.header.msgCounter: must be an integer, not string"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":-1}}}"#, "datagram.header.msgCounter: -1 is negative (0 or more allowed)"),
        (#"{"datagram":{"header":{"cmdClassifier":"reply","msgCounter":1}}}"#, "datagram.header.msgCounterReference: missing (a reply names the datagram it answers)"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":1,"ackRequest":1}}}"#, "datagram.header.ackRequest: must be a boolean, not integer"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":1,"specificationVersion":"1.3.0","addressSource":{"entity":[],"feature":0}}}}"#,
         "datagram.header.addressSource.entity: empty (an entity address has at least one index)"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":1,"specificationVersion":"1.3.0","addressSource":{"entity":[0],"feature":4294967296}}}}"#,
         "datagram.header.addressSource.feature: 4294967296 is out of range (0 … 4294967295)"),
        (#"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":1,"specificationVersion":"1.3.0","addressSource":{"entity":[0]}}}}"#,
         "datagram.header.addressSource.feature: missing"),
    ])
    func aBadHeaderIsRefusedNamingTheElement(text: String, expected: String) throws {
        #expect(throws: SPINEDatagramError.self) { try SPINEDatagram(json: SPINETest.json(text)) }
        do {
            _ = try SPINEDatagram(json: SPINETest.json(text))
        } catch {
            #expect(error.description == expected)
        }
    }

    private func withPayload(_ cmd: String) -> JSONValue {
        SPINETest.json(#"{"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"entity":[0],"feature":0},"addressDestination":{"entity":[0],"feature":0},"msgCounter":1,"cmdClassifier":"read"},"payload":"# + cmd + "}}")
    }

    @Test(arguments: [
        (#"{"cmd":[]}"#, "datagram.payload.cmd: no command"),
        (#"{}"#, "datagram.payload.cmd: missing"),
        (#"{"cmd":[{"function":"a"}]}"#, "datagram.payload.cmd[0]: no function data element"),
        (#"{"cmd":[{"aData":{},"bData":{}}]}"#, "datagram.payload.cmd[0]: 2 function data elements (aData, bData), one allowed"),
        (#"{"cmd":[{"function":"bData","aData":{}}]}"#, "datagram.payload.cmd[0].function: names \"bData\" but the data element is \"aData\""),
        (#"{"cmd":[{"aData":5}]}"#, "datagram.payload.cmd[0].aData: must be an object, not integer"),
        (#"{"cmd":[{"filter":[{"cmdControl":{"partial":{},"delete":{}}}],"aData":{}}]}"#, "datagram.payload.cmd[0].filter[0].cmdControl: must hold exactly one of partial, delete"),
        (#"{"cmd":[{"filter":[{"aSelectors":{}}],"aData":{}}]}"#, "datagram.payload.cmd[0].filter[0].cmdControl: missing"),
        (#"{"cmd":[{"filter":{"cmdControl":{"partial":{}}},"aData":{}}]}"#, "datagram.payload.cmd[0].filter: must be an array, not object"),
    ])
    func aBadPayloadIsRefusedNamingTheElement(payload: String, expected: String) throws {
        do {
            _ = try SPINEDatagram(json: withPayload(payload))
            Issue.record("accepted: \(payload)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func theBoundsAreKept() throws {
        let many = "{\"cmd\":[" + Array(repeating: #"{"aData":{}}"#, count: SPINELimits.maximumCommands + 1).joined(separator: ",") + "]}"
        do { _ = try SPINEDatagram(json: withPayload(many)); Issue.record("33 commands accepted") } catch {
            #expect(error.description == "datagram.payload.cmd: 33 commands, at most 32 allowed")
        }
        let huge = #"{"cmd":[{"aData":{"list":["# + Array(repeating: "1", count: SPINELimits.maximumValuesPerCommand).joined(separator: ",") + "]}}]}"
        do { _ = try SPINEDatagram(json: withPayload(huge)); Issue.record("huge list accepted") } catch {
            #expect(error.description == "datagram.payload.cmd[0].aData: more than 20000 JSON values")
        }
        let deep = #"{"datagram":{"header":{"cmdClassifier":"read","msgCounter":1,"specificationVersion":"1.3.0","addressSource":{"entity":["#
            + Array(repeating: "1", count: 17).joined(separator: ",") + #"],"feature":0}}}}"#
        do { _ = try SPINEDatagram(json: SPINETest.json(deep)); Issue.record("deep entity accepted") } catch {
            #expect(error.description == "datagram.header.addressSource.entity: 17 levels, at most 16 allowed")
        }
    }

    /// Every prefix of a datagram's wire text, and a few thousand deterministic mutations of its plain form (members
    /// dropped, values replaced by other types, lists blown up), go through the codec and the engine: each is read or
    /// refused with a reason, nothing crashes, and the engine never answers what it cannot address.
    @Test func truncatedAndMutatedDatagramsAreRefusedWithoutACrash() throws {
        let wire = Array(String(decoding: EEBUSJSON.encode(SPINETest.json(writeText)), as: UTF8.self).utf8)
        var node = SPINETest.connectedNode()
        var refused = 0
        for end in 0..<wire.count {
            guard let plain = try? EEBUSJSON.decode(Array(wire[..<end])) else { refused += 1; continue }
            let out = node.receive(plain, from: SPINETest.ski, now: SPINETest.now)
            #expect(!out.events.isEmpty || !out.datagrams.isEmpty)
        }
        #expect(refused > wire.count / 2)

        var rng = TestRandom(seed: 26)
        let original = SPINETest.json(writeText)
        var answered = 0, rejected = 0
        for _ in 0..<3000 {
            let mutated = Self.mutate(original, &rng, depth: 0)
            let out = node.receive(mutated, from: SPINETest.ski, now: SPINETest.now)
            if out.events.contains(where: { $0.kind == .refused || $0.kind == .answeredError }) { rejected += 1 }
            for d in out.datagrams {
                answered += 1
                // What the engine sends reads back as a datagram addressed to the CEM.
                let back = try SPINEDatagram(json: d.datagram)
                #expect(back.header.source.device == "d:_n:Test_Station-1")
            }
        }
        #expect(rejected > 1000 && answered > 100)
    }

    static func mutate(_ v: JSONValue, _ rng: inout TestRandom, depth: Int) -> JSONValue {
        let roll = rng.next(100)
        if depth > 0, roll < 4 {
            let replacements: [JSONValue] = [.null, .bool(true), .integer(-5), .integer(Int64.max), .number(1.5), .string("x"),
                                             .array([]), .object(JSONObject()), .array(Array(repeating: .integer(1), count: 30_000))]
            return replacements[rng.next(replacements.count)]
        }
        switch v {
        case .object(let o):
            var out = JSONObject()
            for m in o.members where !(depth > 0 && rng.next(100) < 3) {
                out[m.key] = mutate(m.value, &rng, depth: depth + 1)
            }
            if rng.next(200) == 0 { out["extraData"] = .object(JSONObject()) }
            return .object(out)
        case .array(let a):
            return .array(a.map { mutate($0, &rng, depth: depth + 1) })
        default:
            return v
        }
    }
}

/// A deterministic generator (SplitMix64) for the mutation test.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
