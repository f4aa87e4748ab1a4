import EXI
import SECC
import Testing
import V2G

@Suite("The SECC's protocol handshake (ISO 15118-2:2014 §8.2): the vehicle's priority, never DIN SPEC 70121 on AC")
struct SECCHandshakeTests {
    static let dinNamespace = "urn:din:70121:2012:MsgDef"
    static let iso2Namespace = "urn:iso:15118:2:2013:MsgDef"

    static func request(_ entries: [(String, Int, Int, Int, Int)]) throws -> V2GTPFrame {
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: entries.map {
            AppProtocolAppProtocolType(protocolNamespace: $0.0, versionNumberMajor: $0.1, versionNumberMinor: $0.2, schemaID: $0.3, priority: $0.4)
        })
        return V2GTPFrame(payloadType: .exi, payload: try EXI.AppProtocol.encode(.supportedAppProtocolReq(req)))
    }

    static func response(_ step: SECCStep) throws -> AppProtocolSupportedAppProtocolRes {
        let frame = try #require(step.response)
        guard case .supportedAppProtocolRes(let res) = try EXI.AppProtocol.decode(frame.payload) else {
            Issue.record("not a supportedAppProtocolRes"); throw CancellationError()
        }
        return res
    }

    @Test("a vehicle that prefers DIN SPEC 70121 gets ISO 15118-2 with its SchemaID")
    func prefersISO2OverDIN() throws {
        var secc = SECCConnection(configuration: SECCConfiguration(), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
        let step = secc.receive(try Self.request([(Self.dinNamespace, 2, 0, 1, 1), (Self.iso2Namespace, 2, 0, 2, 2)]),
                                view: SECCMachineTests.view(), now: .zero)
        let res = try Self.response(step)
        #expect(res.responseCode == .ok_SuccessfulNegotiation && res.schemaID == 2)
        #expect(!step.close && step.events == [.protocolNegotiated(.iso15118_2)])
    }

    @Test("a DIN-only vehicle gets Failed_NoNegotiation without SchemaID, and the connection closes")
    func dinOnly() throws {
        var secc = SECCConnection(configuration: SECCConfiguration(), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
        let step = secc.receive(try Self.request([(Self.dinNamespace, 2, 0, 1, 1)]), view: SECCMachineTests.view(), now: .zero)
        let res = try Self.response(step)
        #expect(res.responseCode == .failed_NoNegotiation && res.schemaID == nil)
        #expect(step.close && step.events == [.protocolNegotiated(nil)])
    }

    @Test("another minor version is a minor deviation; garbage closes without an answer")
    func minorAndGarbage() throws {
        var secc = SECCConnection(configuration: SECCConfiguration(), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
        let res = try Self.response(secc.receive(try Self.request([(Self.iso2Namespace, 2, 1, 7, 1)]), view: SECCMachineTests.view(), now: .zero))
        #expect(res.responseCode == .ok_SuccessfulNegotiationWithMinorDeviation && res.schemaID == 7)
        var other = SECCConnection(configuration: SECCConfiguration(), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
        let step = other.receive(V2GTPFrame(payloadType: .exi, payload: [0x80, 0xFF, 0x13]), view: SECCMachineTests.view(), now: .zero)
        #expect(step.response == nil && step.close && step.closeReason != nil)
    }
}
