import Testing

@testable import EXI

/// The generated message types: the entry points the SECC codes against, their round trips, and refusals that name
/// the field (values outside the facets, missing members).
struct EXITypedTests {
    static let sessionID: [UInt8] = [0xC0, 0x8C, 0xDF, 0x36, 0x98, 0x5A, 0x71, 0x90]

    static func sessionSetupRes(timeStamp: Int? = nil) -> ISO2V2GMessage {
        ISO2V2GMessage(
            header: ISO2MessageHeaderType(sessionID: sessionID),
            body: ISO2BodyType(bodyElement: .sessionSetupRes(
                ISO2SessionSetupResType(responseCode: .ok_NewSessionEstablished, evseid: "DE*ABC*E123", evseTimeStamp: timeStamp))))
    }

    /// Valid streams of several message types for the fuzz tests.
    static func samples() -> [(EXISchema, [UInt8])] {
        var out: [(EXISchema, [UInt8])] = []
        out.append((EXI.iso2, try! EXI.ISO2.encode(sessionSetupRes(timeStamp: 1_700_000_000))))
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: [
            AppProtocolAppProtocolType(protocolNamespace: "urn:din:70121:2012:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 2),
            AppProtocolAppProtocolType(protocolNamespace: "urn:iso:15118:2:2013:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 2, priority: 1),
        ])
        out.append((EXI.appProtocol, try! EXI.AppProtocol.encode(.supportedAppProtocolReq(req))))
        return out
    }

    @Test func sessionSetupResponseIsTheReferenceVector() throws {
        let bytes = try EXI.ISO2.encode(Self.sessionSetupRes())
        #expect(bytes == EXIGoldenTests.sessionSetupRes)
        #expect(try EXI.ISO2.decode(bytes) == Self.sessionSetupRes())
        // with an EVSETimeStamp the reference's 32 bytes starting 80 98 02
        let stamped = try EXI.ISO2.encode(Self.sessionSetupRes(timeStamp: 1_700_000_000))
        #expect(stamped.count == 32 && Array(stamped.prefix(3)) == [0x80, 0x98, 0x02])
    }

    @Test func supportedAppProtocolRequestIsTheReferenceVector() throws {
        let decoded = try EXI.AppProtocol.decode(EXIGoldenTests.sapRequest)
        guard case .supportedAppProtocolReq(let req) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(req.appProtocol == [
            AppProtocolAppProtocolType(protocolNamespace: "urn:iso:15118:2:2013:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 1)
        ])
        #expect(try EXI.AppProtocol.encode(decoded) == EXIGoldenTests.sapRequest)
        let res = AppProtocolSupportedAppProtocolRes(responseCode: .ok_SuccessfulNegotiation, schemaID: 1)
        #expect(try EXI.AppProtocol.decode(EXI.AppProtocol.encode(.supportedAppProtocolRes(res))) == .supportedAppProtocolRes(res))
    }

    @Test func valuesOutsideTheFacetsAreRefusedWithTheirField() {
        var tooLong = Self.sessionSetupRes()
        tooLong.header.sessionID = Array(repeating: 1, count: 9)
        #expect(throws: EXIError(bitPosition: 0, "SessionID: 9 octets, above maxLength 8")) { try EXI.ISO2.encode(tooLong) }
        let badPriority = AppProtocolSupportedAppProtocolReq(appProtocol: [
            AppProtocolAppProtocolType(protocolNamespace: "x", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 21)
        ])
        #expect(throws: EXIError(bitPosition: 0, "Priority: 21 outside 1…20")) { try EXI.AppProtocol.encode(.supportedAppProtocolReq(badPriority)) }
        let negative = AppProtocolAppProtocolType(protocolNamespace: "x", versionNumberMajor: -1, versionNumberMinor: 0, schemaID: 1, priority: 1)
        #expect(throws: EXIError.self) { try EXI.AppProtocol.encode(.supportedAppProtocolReq(.init(appProtocol: [negative]))) }
    }

    @Test func tooManyRepetitionsAreRefused() {
        let p = AppProtocolAppProtocolType(protocolNamespace: "x", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 1)
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: Array(repeating: p, count: 21))
        #expect(throws: EXIError.self) { try EXI.AppProtocol.encode(.supportedAppProtocolReq(req)) }
        #expect(throws: EXIError.self) { try EXI.AppProtocol.encode(.supportedAppProtocolReq(.init(appProtocol: []))) }
    }

    @Test func aSignedInfoFragment() throws {
        let signedInfo = ISO2SignedInfoType(
            canonicalizationMethod: ISO2CanonicalizationMethodType(algorithm: "http://www.w3.org/TR/canonical-exi/"),
            signatureMethod: ISO2SignatureMethodType(algorithm: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
            reference: [ISO2ReferenceType(
                uri: "#id1", transforms: ISO2TransformsType(transform: [ISO2TransformType(algorithm: "http://www.w3.org/TR/canonical-exi/")]),
                digestMethod: ISO2DigestMethodType(algorithm: "http://www.w3.org/2001/04/xmlenc#sha256"),
                digestValue: Array(repeating: 0xAB, count: 32))])
        let bytes = try EXI.ISO2.signedInfoFragment(signedInfo)
        let node = try EXICodec.decodeFragment(bytes, schema: EXI.xmldsig)
        #expect(try ISO2SignedInfoType(node: node) == signedInfo)
    }
}
