import Testing

@testable import EXI

/// Vectors EXIficient 1.55 (the EXICodec.jar of Josev, the independent codec) produced, decoded and re-encoded by ours.
struct EXIGoldenTests {
    static func bytes(_ hex: String) -> [UInt8] { EXIHex.decode(hex)! }

    /// A one-protocol SAP request (urn:iso:15118:2:2013:MsgDef 2.0, SchemaID 1, Priority 1): 36 bytes, 80 00 EB….
    static let sapRequest = bytes("8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000040040")

    @Test func supportedAppProtocolRequest() throws {
        let node = try EXICodec.decodeDocument(Self.sapRequest, schema: EXI.appProtocol)
        #expect(node.name.localName == "supportedAppProtocolReq")
        let p = try #require(node.child("AppProtocol"))
        #expect(p.child("ProtocolNamespace")?.value == .string("urn:iso:15118:2:2013:MsgDef"))
        #expect(p.child("VersionNumberMajor")?.value == .unsigned(2))
        #expect(p.child("VersionNumberMinor")?.value == .unsigned(0))
        #expect(p.child("SchemaID")?.value == .integer(1))
        #expect(p.child("Priority")?.value == .integer(1))
        #expect(try EXICodec.encodeDocument(node, schema: EXI.appProtocol) == Self.sapRequest)
        #expect(EXIJSON.render(node) == #"{"supportedAppProtocolReq":{"AppProtocol":[{"Priority":1,"ProtocolNamespace":"urn:iso:15118:2:2013:MsgDef","SchemaID":1,"VersionNumberMajor":2,"VersionNumberMinor":0}]}}"#)
    }

    /// SessionSetupRes (SessionID C08CDF36985A7190, OK_NewSessionEstablished, EVSEID "DE*ABC*E123").
    static let sessionSetupRes = bytes("809802302337cda6169c6411e020351114a905090ca914c4c8cc80")

    @Test func sessionSetupResponse() throws {
        let node = try EXICodec.decodeDocument(Self.sessionSetupRes, schema: EXI.iso2)
        #expect(EXIJSON.render(node) == #"{"V2G_Message":{"Body":{"SessionSetupRes":{"EVSEID":"DE*ABC*E123","ResponseCode":"OK_NewSessionEstablished"}},"Header":{"SessionID":"C08CDF36985A7190"}}}"#)
        #expect(try EXICodec.encodeDocument(node, schema: EXI.iso2) == Self.sessionSetupRes)
    }
}
