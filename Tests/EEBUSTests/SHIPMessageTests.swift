import EEBUS
import OCPP16
import Testing

/// The SHIP messages (SHIP TS 1.0.1 §13.4): each one's EEBUS JSON bytes (golden), read back, and the refusals.
@Suite struct SHIPMessageTests {
    private func text(_ m: SHIPMessage) -> String { String(decoding: m.eebusJSON, as: UTF8.self) }

    /// Every message type: the exact bytes, the type byte, and that reading the frame gives the message back.
    @Test(arguments: [
        (SHIPMessage.hello(SHIPHello(phase: .ready, waitingMs: 60000)), #"{"connectionHello":[{"phase":"ready"},{"waiting":60000}]}"#),
        (.hello(SHIPHello(phase: .pending, waitingMs: 45000, prolongationRequest: true)),
         #"{"connectionHello":[{"phase":"pending"},{"waiting":45000},{"prolongationRequest":true}]}"#),
        (.hello(SHIPHello(phase: .aborted)), #"{"connectionHello":[{"phase":"aborted"}]}"#),
        (.protocolHandshake(SHIPProtocolHandshake(handshakeType: .announceMax)),
         #"{"messageProtocolHandshake":[{"handshakeType":"announceMax"},{"version":[{"major":1},{"minor":0}]},{"formats":[{"format":["JSON-UTF8"]}]}]}"#),
        (.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)),
         #"{"messageProtocolHandshake":[{"handshakeType":"select"},{"version":[{"major":1},{"minor":0}]},{"formats":[{"format":["JSON-UTF8"]}]}]}"#),
        (.protocolHandshakeError(.selectionMismatch), #"{"messageProtocolHandshakeError":[{"error":3}]}"#),
        (.pinState(SHIPPinState(pinState: .none)), #"{"connectionPinState":[{"pinState":"none"}]}"#),
        (.pinState(SHIPPinState(pinState: .required, inputPermission: .ok)), #"{"connectionPinState":[{"pinState":"required"},{"inputPermission":"ok"}]}"#),
        (.pinInput(SHIPPinInput(pin: "1a2b3c4d")), #"{"connectionPinInput":[{"pin":"1a2b3c4d"}]}"#),
        (.pinError(SHIPPinError(error: 1)), #"{"connectionPinError":[{"error":1}]}"#),
        (.accessMethodsRequest, #"{"accessMethodsRequest":[]}"#),
        (.accessMethods(SHIPAccessMethods(id: "ChargeKit-CK1-0001")), #"{"accessMethods":[{"id":"ChargeKit-CK1-0001"}]}"#),
        (.accessMethods(SHIPAccessMethods(id: "EM-1", dnsSdMDNS: true, dnsURI: "wss://em.local:4712/ship/")),
         #"{"accessMethods":[{"id":"EM-1"},{"dnsSd_mDns":[]},{"dns":[{"uri":"wss://em.local:4712/ship/"}]}]}"#),
        (.close(SHIPClose(phase: .announce, maxTimeMs: 2000, reason: .unspecific)),
         #"{"connectionClose":[{"phase":"announce"},{"maxTime":2000},{"reason":"unspecific"}]}"#),
        (.close(SHIPClose(phase: .confirm)), #"{"connectionClose":[{"phase":"confirm"}]}"#),
    ])
    func controlMessagesHaveTheirGoldenBytes(message: SHIPMessage, golden: String) throws {
        #expect(text(message) == golden)
        let frame = message.frame
        #expect(frame.first == (message.name == "connectionClose" ? 3 : 1))
        #expect(Array(frame.dropFirst()) == Array(golden.utf8))
        #expect(try SHIPMessage.read(frame: frame) == message)
    }

    /// The payload is in the EEBUS form like the rest of the message: `[{"datagram": …}]`. A peer that keeps the
    /// datagram's outermost object (`{"datagram": …}`) is read as well.
    @Test func aDataMessageCarriesTheSPINEDatagramInTheEEBUSFormAndReadsEitherForm() throws {
        let datagram = try JSONParser.parse(#"{"datagram":{"header":{"specificationVersion":"1.3.0","msgCounter":5,"cmdClassifier":"read"},"payload":{"cmd":[{"nodeManagementDetailedDiscoveryData":{}}]}}}"#)
        let message = SHIPMessage.data(SHIPData(payload: datagram))
        let golden = #"{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":[{"datagram":[{"header":[{"specificationVersion":"1.3.0"},{"msgCounter":5},{"cmdClassifier":"read"}]},{"payload":[{"cmd":[[{"nodeManagementDetailedDiscoveryData":[]}]]}]}]}]}]}"#
        #expect(text(message) == golden)
        let outerKept = #"{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":{"datagram":[{"header":[{"specificationVersion":"1.3.0"},{"msgCounter":5},{"cmdClassifier":"read"}]},{"payload":[{"cmd":[[{"nodeManagementDetailedDiscoveryData":[]}]]}]}]}}]}"#
        guard case .data(let tolerant) = try SHIPMessage.read(frame: [2] + Array(outerKept.utf8)) else { Issue.record("not data"); return }
        #expect(tolerant.payload == (try JSONParser.parse(#"{"datagram":{"header":{"specificationVersion":"1.3.0","msgCounter":5,"cmdClassifier":"read"},"payload":{"cmd":[{"nodeManagementDetailedDiscoveryData":[]}]}}}"#)))
        #expect(message.frame.first == 2)
        guard case .data(let read) = try SHIPMessage.read(frame: message.frame) else { Issue.record("not data"); return }
        #expect(read.protocolID == "ee1.0")
        // The empty object reads back as the EEBUS form's empty array; everything else as sent.
        #expect(read.payload == (try JSONParser.parse(#"{"datagram":{"header":{"specificationVersion":"1.3.0","msgCounter":5,"cmdClassifier":"read"},"payload":{"cmd":[{"nodeManagementDetailedDiscoveryData":[]}]}}}"#)))
    }

    @Test func aDataMessageWithAnExtensionKeepsIt() throws {
        let message = SHIPMessage.data(SHIPData(payload: .object(["datagram": .object(["header": .object(["msgCounter": .integer(1)])])]),
                                                extension: .object(["extensionId": .string("x1"), "string": .string("hi")])))
        #expect(text(message).hasSuffix(#"{"extension":[{"extensionId":"x1"},{"string":"hi"}]}]}"#))
        #expect(try SHIPMessage.read(frame: message.frame) == message)
    }

    @Test(arguments: [
        ([UInt8](), "an empty message"),
        ([7] + Array("{}".utf8), "unknown message type 7"),
        ([0, 0], "a connection mode initialisation after the initialisation"),
        ([1] + Array(#"{"connectionHello":[{"phase":"ready"},"#.utf8), "the JSON is malformed"),
        ([1] + Array(#"{"connectionHello":[{"phase":"maybe"}]}"#.utf8), #"$.connectionHello.phase: "maybe" is not one of pending, ready, aborted"#),
        ([1] + Array(#"{"connectionHello":[{"waiting":5}]}"#.utf8), "$.connectionHello.phase: required"),
        ([1] + Array(#"{"connectionHello":[{"phase":"ready"},{"waiting":-5}]}"#.utf8), "$.connectionHello.waiting: an integer from 0 to 4294967295"),
        ([1] + Array(#"{"connectionHello":[{"phase":"ready"},{"prolongationRequest":"yes"}]}"#.utf8), "$.connectionHello.prolongationRequest: true or false"),
        ([1] + Array(#"{"messageProtocolHandshake":[{"handshakeType":"select"},{"formats":[{"format":["JSON-UTF8"]}]}]}"#.utf8), "$.messageProtocolHandshake.version: required"),
        ([1] + Array(#"{"messageProtocolHandshake":[{"handshakeType":"select"},{"version":[{"major":1},{"minor":0}]},{"formats":[{"format":[5]}]}]}"#.utf8),
         "$.messageProtocolHandshake.formats.format[0]: a string is required"),
        ([1] + Array(#"{"connectionHallo":[{"phase":"ready"}]}"#.utf8), #"unknown SHIP message "connectionHallo""#),
        ([1] + Array(#"{"connectionHello":[{"phase":"ready"}],"data":[]}"#.utf8), "exactly one member"),
        ([1] + Array(#"{"connectionHello":"ready"}"#.utf8), "$.connectionHello: an object is required, not string"),
        ([2] + Array(#"{"connectionHello":[{"phase":"ready"}]}"#.utf8), "connectionHello sent with message type 2, expected 1"),
        ([1] + Array(#"{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":{}}]}"#.utf8), "data sent with message type 1, expected 2"),
        ([2] + Array(#"{"data":[{"payload":{}}]}"#.utf8), "$.data.header: required"),
        ([2] + Array(#"{"data":[{"header":[{"protocolId":"ee1.0"}]}]}"#.utf8), "$.data.payload: required"),
        ([1] + Array(#"{"connectionPinState":[{"pinState":"none"},{"pinState":"required"}]}"#.utf8), #"member "pinState" repeated"#),
    ] as [([UInt8], String)])
    func aWrongMessageIsAnErrorNamingThePath(bytes: [UInt8], expected: String) {
        #expect {
            _ = try SHIPMessage.read(frame: bytes)
        } throws: { error in
            guard let e = error as? SHIPMessageError else { return false }
            return e.description.contains(expected)
        }
    }

    @Test func connectionCloseIsAlsoAcceptedAsAControlMessage() throws {
        let bytes = [1] + Array(#"{"connectionClose":[{"phase":"announce"}]}"#.utf8)
        #expect(try SHIPMessage.read(frame: bytes) == .close(SHIPClose(phase: .announce)))
    }
}
