#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Testing

/// A small SPINE application of the tests' own (not the station's): entity [0] with DeviceClassification, an EVSE at
/// [1] with a LoadControl server (limit list writable, partially), a DeviceDiagnosis server and a DeviceDiagnosis
/// client, and two use cases. Data is kept per "entity/feature/function".
struct TestSPINEApp: SPINEApplication {
    var deviceAddress = "d:_n:Test_Station-1"
    var deviceType = "ChargingStation"
    var entities: [SPINEEntityDescription] = [
        SPINEEntityDescription(address: [0], type: "DeviceInformation", features: [
            SPINEFeatureDescription(index: 1, type: "DeviceClassification", role: .server,
                                    functions: [SPINEFunctionSupport("deviceClassificationManufacturerData")]),
        ]),
        SPINEEntityDescription(address: [1], type: "EVSE", features: [
            SPINEFeatureDescription(index: 1, type: "LoadControl", role: .server, functions: [
                SPINEFunctionSupport("loadControlLimitDescriptionListData"),
                SPINEFunctionSupport("loadControlLimitListData", write: true, partialWrite: true),
            ], description: "Load Control"),
            SPINEFeatureDescription(index: 2, type: "DeviceDiagnosis", role: .server, functions: [SPINEFunctionSupport("deviceDiagnosisHeartbeatData")]),
            SPINEFeatureDescription(index: 3, type: "DeviceDiagnosis", role: .client, functions: [SPINEFunctionSupport("deviceDiagnosisHeartbeatData")]),
        ], description: "Charge point"),
    ]
    var useCases: [SPINEUseCaseDescription] = [
        SPINEUseCaseDescription(actor: "ControllableSystem", name: "limitationOfPowerConsumption", version: "1.0.0", scenarios: [1, 2, 3, 4], entity: [1]),
        SPINEUseCaseDescription(actor: "EVSE", name: "evseCommissioningAndConfiguration", version: "1.0.1", scenarios: [2], entity: [1]),
    ]
    var values: [String: JSONValue] = [
        "0/1/deviceClassificationManufacturerData": .object(["brandName": .string("Test")]),
        "1/1/loadControlLimitListData": .object(["loadControlLimitData": .array([.object(["limitId": .integer(1), "value": .object(["number": .integer(4200), "scale": .integer(0)])])])]),
    ]
    var writeOutcome = SPINEWriteOutcome.accepted
    var writes: [SPINEWriteRequest] = []
    var received: [SPINEReceivedData] = []
    var remoteChanges: [String] = []

    static func key(_ function: SPINEFunction, _ feature: SPINEFeatureAddress) -> String {
        feature.entity.map(String.init).joined(separator: ",") + "/\(feature.feature)/\(function)"
    }

    func data(_ function: SPINEFunction, of feature: SPINEFeatureAddress) -> JSONValue? {
        #expect(feature.device == nil, "the engine passes local addresses without device")
        return values[Self.key(function, feature)]
    }

    mutating func write(_ request: SPINEWriteRequest, now: Date) -> SPINEWriteOutcome {
        writes.append(request)
        if writeOutcome == .accepted { values[Self.key(request.function, request.feature)] = request.data }
        return writeOutcome
    }

    mutating func received(_ received: SPINEReceivedData, now: Date) { self.received.append(received) }

    mutating func remoteChanged(ski: String, deviceType: String?, now: Date) {
        remoteChanges.append("\(ski) \(deviceType ?? "gone")")
    }
}

enum SPINETest {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let ski = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
    static let cem = "d:_i:Test_CEM-7"

    /// A plain value from JSON text (member order kept).
    static func json(_ text: String) -> JSONValue {
        do { return try JSONParser.parse(text) } catch {
            Issue.record("test JSON does not parse: \(error)")
            return .null
        }
    }

    /// JSON text with members in their order (`serialized` sorts keys; SPINE's wire form keeps the order).
    static func ordered(_ v: JSONValue) -> String {
        switch v {
        case .object(let o): return "{" + o.members.map { "\"\($0.key)\":" + ordered($0.value) }.joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(ordered).joined(separator: ",") + "]"
        default: return v.serialized
        }
    }

    /// Checks a datagram against golden text (whitespace free to choose, member order significant).
    static func expectDatagram(_ actual: SPINEOutgoing?, _ golden: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let actual else {
            Issue.record("no datagram sent", sourceLocation: sourceLocation)
            return
        }
        #expect(actual.ski == ski, sourceLocation: sourceLocation)
        #expect(ordered(actual.datagram) == ordered(json(golden)), sourceLocation: sourceLocation)
    }

    /// A datagram of the remote CEM (device `cem`) in the plain form.
    static func incoming(_ classifier: String, counter: Int, from: String = "[0],\"feature\":0", to: String = "[0],\"feature\":0",
                         reference: Int? = nil, ack: Bool = false, device: String = "d:_n:Test_Station-1", _ cmd: String) -> JSONValue {
        let ref = reference.map { ",\"msgCounterReference\":\($0)" } ?? ""
        let ackText = ack ? ",\"ackRequest\":true" : ""
        return json("""
        {"datagram":{"header":{"specificationVersion":"1.3.0",
          "addressSource":{"device":"\(cem)","entity":\(from)},
          "addressDestination":{"device":"\(device)","entity":\(to)},
          "msgCounter":\(counter)\(ref),"cmdClassifier":"\(classifier)"\(ackText)},
          "payload":{"cmd":[\(cmd)]}}}
        """)
    }

    /// The typed datagram of an outgoing one.
    static func read(_ out: SPINEOutgoing?) -> SPINEDatagram? {
        guard let out else { return nil }
        do { return try SPINEDatagram(json: out.datagram) } catch {
            Issue.record("the engine sent a datagram it cannot read itself: \(error)")
            return nil
        }
    }

    /// A node connected to the CEM, the connect datagrams already taken.
    static func connectedNode(_ app: TestSPINEApp = TestSPINEApp()) -> SPINENode<TestSPINEApp> {
        var node = SPINENode(app: app)
        _ = node.connected(ski: ski, now: now)
        return node
    }

    /// The result's error number (nil when the datagram is no result).
    static func errorNumber(_ out: SPINEOutgoing?) -> Int64? {
        guard let d = read(out), d.header.classifier == .result, case .object(let o) = d.commands.first?.data,
              case .integer(let n)? = o["errorNumber"] else { return nil }
        return n
    }
}
