import Testing
@testable import V2G

@Suite("The protocol handshake's decision (ISO 15118-2 §8.2.1)")
struct AppProtocolNegotiationTests {
    static func offer(_ p: V2GProtocol, minor: UInt32 = 0, schemaID: UInt8, priority: UInt8) -> OfferedAppProtocol {
        OfferedAppProtocol(namespace: p.namespace, majorVersion: p.majorVersion, minorVersion: minor, schemaID: schemaID, priority: priority)
    }

    @Test("the vehicle's priority decides among the protocols the station speaks, not the order of the list")
    func priority() {
        let offered = [Self.offer(.iso15118_2, schemaID: 10, priority: 2), Self.offer(.iso15118_20AC, schemaID: 11, priority: 1)]
        #expect(AppProtocolNegotiation.decide(offered, supported: AppProtocolNegotiation.acStation)
                == AppProtocolDecision(responseCode: .successfulNegotiation, schemaID: 11, selected: .iso15118_20AC))
        #expect(AppProtocolNegotiation.decide(offered, supported: [.iso15118_2])
                == AppProtocolDecision(responseCode: .successfulNegotiation, schemaID: 10, selected: .iso15118_2))
    }

    @Test("another minor version is a minor deviation; another major version is not the protocol")
    func versions() {
        let minor = AppProtocolNegotiation.decide([Self.offer(.iso15118_2, minor: 1, schemaID: 3, priority: 1)], supported: [.iso15118_2])
        #expect(minor == AppProtocolDecision(responseCode: .successfulNegotiationWithMinorDeviation, schemaID: 3, selected: .iso15118_2))
        let major = OfferedAppProtocol(namespace: V2GProtocol.iso15118_2.namespace, majorVersion: 3, minorVersion: 0, schemaID: 3, priority: 1)
        #expect(AppProtocolNegotiation.decide([major], supported: [.iso15118_2]).responseCode == .noNegotiation)
    }

    @Test("an AC station never chooses DIN SPEC 70121 (DC only): a DIN-only vehicle gets Failed_NoNegotiation without a SchemaID")
    func dinOnAC() {
        #expect(!AppProtocolNegotiation.acStation.contains(.din70121))
        let decision = AppProtocolNegotiation.decide([Self.offer(.din70121, schemaID: 1, priority: 1)], supported: AppProtocolNegotiation.acStation)
        #expect(decision == AppProtocolDecision(responseCode: .noNegotiation, schemaID: nil, selected: nil))
        let both = [Self.offer(.din70121, schemaID: 1, priority: 1), Self.offer(.iso15118_2, schemaID: 2, priority: 2)]
        #expect(AppProtocolNegotiation.decide(both, supported: AppProtocolNegotiation.acStation).selected == .iso15118_2)
    }

    @Test("unknown namespaces and an empty list: no negotiation; equal priorities: the earlier entry")
    func edges() {
        let unknown = OfferedAppProtocol(namespace: "urn:example:other", majorVersion: 2, minorVersion: 0, schemaID: 9, priority: 1)
        #expect(AppProtocolNegotiation.decide([unknown], supported: AppProtocolNegotiation.acStation).responseCode == .noNegotiation)
        #expect(AppProtocolNegotiation.decide([], supported: AppProtocolNegotiation.acStation).responseCode == .noNegotiation)
        let tie = [Self.offer(.iso15118_2, schemaID: 4, priority: 1), Self.offer(.iso15118_20AC, schemaID: 5, priority: 1)]
        #expect(AppProtocolNegotiation.decide(tie, supported: AppProtocolNegotiation.acStation).schemaID == 4)
    }
}
