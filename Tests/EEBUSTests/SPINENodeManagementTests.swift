import EEBUS
import OCPP16
import Testing

/// NodeManagement served by the engine (SPINE TS 1.3.0 §7): detailed discovery, use case data, destination list,
/// subscription and binding calls, golden datagrams.
@Suite struct SPINENodeManagementTests {
    private let source = SPINETest.self

    @Test func connectingReadsTheRemoteDiscoveryAndUseCasesAndSubscribesToItsNodeManagement() {
        var node = SPINENode(app: TestSPINEApp())
        let out = node.connected(ski: SPINETest.ski, now: SPINETest.now)
        #expect(out.datagrams.count == 3)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"entity":[0],"feature":0},"msgCounter":1,"cmdClassifier":"read"},
         "payload":{"cmd":[{"nodeManagementDetailedDiscoveryData":{}}]}}}
        """)
        SPINETest.expectDatagram(out.datagrams.dropFirst().first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"entity":[0],"feature":0},"msgCounter":2,"cmdClassifier":"read"},
         "payload":{"cmd":[{"nodeManagementUseCaseData":{}}]}}}
        """)
        SPINETest.expectDatagram(out.datagrams.last, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"entity":[0],"feature":0},"msgCounter":3,"cmdClassifier":"call","ackRequest":true},
         "payload":{"cmd":[{"nodeManagementSubscriptionRequestCall":{"subscriptionRequest":{
           "clientAddress":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
           "serverAddress":{"entity":[0],"feature":0},"serverFeatureType":"NodeManagement"}}}]}}}
        """)
    }

    @Test func theDetailedDiscoveryDescribesTheDeviceEntityZeroWithTheApplicationsFeaturesAndTheEntities() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 10, #"{"nodeManagementDetailedDiscoveryData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(out.datagrams.count == 1)
        let nm = #"{"function":"nodeManagementBindingData","possibleOperations":{"read":{}}},{"function":"nodeManagementBindingDeleteCall","possibleOperations":{}},{"function":"nodeManagementBindingRequestCall","possibleOperations":{}},{"function":"nodeManagementDestinationListData","possibleOperations":{"read":{}}},{"function":"nodeManagementDetailedDiscoveryData","possibleOperations":{"read":{}}},{"function":"nodeManagementSubscriptionData","possibleOperations":{"read":{}}},{"function":"nodeManagementSubscriptionDeleteCall","possibleOperations":{}},{"function":"nodeManagementSubscriptionRequestCall","possibleOperations":{}},{"function":"nodeManagementUseCaseData","possibleOperations":{"read":{}}}"#
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":4,"msgCounterReference":10,"cmdClassifier":"reply"},
         "payload":{"cmd":[{"nodeManagementDetailedDiscoveryData":{
          "specificationVersionList":{"specificationVersion":["1.3.0"]},
          "deviceInformation":{"description":{"deviceAddress":{"device":"d:_n:Test_Station-1"},"deviceType":"ChargingStation","networkFeatureSet":"smart"}},
          "entityInformation":[
           {"description":{"entityAddress":{"device":"d:_n:Test_Station-1","entity":[0]},"entityType":"DeviceInformation"}},
           {"description":{"entityAddress":{"device":"d:_n:Test_Station-1","entity":[1]},"entityType":"EVSE","description":"Charge point"}}],
          "featureInformation":[
           {"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},"featureType":"NodeManagement","role":"special",
             "supportedFunction":[\(nm)]}},
           {"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[0],"feature":1},"featureType":"DeviceClassification","role":"server",
             "supportedFunction":[{"function":"deviceClassificationManufacturerData","possibleOperations":{"read":{}}}]}},
           {"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},"featureType":"LoadControl","role":"server",
             "supportedFunction":[{"function":"loadControlLimitDescriptionListData","possibleOperations":{"read":{}}},
               {"function":"loadControlLimitListData","possibleOperations":{"read":{},"write":{"partial":{}}}}],"description":"Load Control"}},
           {"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":2},"featureType":"DeviceDiagnosis","role":"server",
             "supportedFunction":[{"function":"deviceDiagnosisHeartbeatData","possibleOperations":{"read":{}}}]}},
           {"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":3},"featureType":"DeviceDiagnosis","role":"client",
             "supportedFunction":[{"function":"deviceDiagnosisHeartbeatData","possibleOperations":{"read":{}}}]}}]}}]}}}
        """)
    }

    @Test func theUseCaseDataGroupsTheUseCasesByActorAndEntity() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 11, #"{"nodeManagementUseCaseData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":4,"msgCounterReference":11,"cmdClassifier":"reply"},
         "payload":{"cmd":[{"nodeManagementUseCaseData":{"useCaseInformation":[
          {"address":{"device":"d:_n:Test_Station-1","entity":[1]},"actor":"ControllableSystem","useCaseSupport":[
            {"useCaseName":"limitationOfPowerConsumption","useCaseVersion":"1.0.0","useCaseAvailable":true,"scenarioSupport":[1,2,3,4],"useCaseDocumentSubRevision":"release"}]},
          {"address":{"device":"d:_n:Test_Station-1","entity":[1]},"actor":"EVSE","useCaseSupport":[
            {"useCaseName":"evseCommissioningAndConfiguration","useCaseVersion":"1.0.1","useCaseAvailable":true,"scenarioSupport":[2],"useCaseDocumentSubRevision":"release"}]}]}}]}}}
        """)
    }

    @Test func theDestinationListNamesThisDevice() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 12, #"{"nodeManagementDestinationListData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        let reply = SPINETest.read(out.datagrams.first)
        #expect(reply.map { SPINETest.ordered($0.commands[0].data) } == #"{"nodeManagementDestinationData":[{"deviceDescription":{"deviceAddress":{"device":"d:_n:Test_Station-1"},"deviceType":"ChargingStation","networkFeatureSet":"smart"}}]}"#)
    }

    private func call(_ function: String, _ member: String, client: String = #"{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5}"#,
                      server: String, type: String? = "LoadControl", counter: Int = 20) -> JSONValue {
        let typeText = type.map { #","serverFeatureType":"\#($0)""# } ?? ""
        return SPINETest.incoming("call", counter: counter, ack: true,
                                  #"{"\#(function)":{"\#(member)":{"clientAddress":\#(client),"serverAddress":\#(server)\#(typeText)}}}"#)
    }

    @Test func aSubscriptionRequestForAnExistingServerFeatureIsAcceptedWithResultZeroAndListed() {
        var node = SPINETest.connectedNode()
        let out = node.receive(call("nodeManagementSubscriptionRequestCall", "subscriptionRequest",
                                    server: #"{"device":"d:_n:Test_Station-1","entity":[1],"feature":1}"#), from: SPINETest.ski, now: SPINETest.now)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":4,"msgCounterReference":20,"cmdClassifier":"result"},
         "payload":{"cmd":[{"resultData":{"errorNumber":0}}]}}}
        """)
        #expect(out.events.map(\.kind) == [.subscribed])
        #expect(node.status.subscriptions == [SPINEStatus.Link(ski: SPINETest.ski, client: SPINEFeatureAddress(device: SPINETest.cem, entity: [1], feature: 5),
                                                               server: SPINEFeatureAddress(entity: [1], feature: 1), serverFeatureType: "LoadControl")])
        let list = node.receive(SPINETest.incoming("read", counter: 21, #"{"nodeManagementSubscriptionData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(list.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"subscriptionEntry":[{"subscriptionId":1,"clientAddress":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"serverAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1}}]}"#)

        let delete = node.receive(call("nodeManagementSubscriptionDeleteCall", "subscriptionDelete", server: #"{"entity":[1],"feature":1}"#, type: nil, counter: 22),
                                  from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(delete.datagrams.first) == 0)
        #expect(delete.events.map(\.kind) == [.unsubscribed])
        #expect(node.status.subscriptions.isEmpty)
    }

    @Test(arguments: [
        (#"{"entity":[7],"feature":1}"#, "LoadControl", Int64(4)),
        (#"{"entity":[1],"feature":9}"#, "LoadControl", Int64(4)),
        (#"{"entity":[1],"feature":1}"#, "Measurement", Int64(7)),
        (#"{"entity":[1],"feature":3}"#, "DeviceDiagnosis", Int64(7)),
        (#"{"device":"d:_n:Other","entity":[1],"feature":1}"#, "LoadControl", Int64(4)),
    ])
    func aBindingRequestForAFeatureThatIsMissingOfAnotherTypeOrAClientIsRefused(server: String, type: String, error: Int64) {
        var node = SPINETest.connectedNode()
        let out = node.receive(call("nodeManagementBindingRequestCall", "bindingRequest", server: server, type: type), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(out.datagrams.first) == error)
        #expect(out.events.map(\.kind) == [.answeredError])
        #expect(node.status.bindings.isEmpty)
    }

    @Test func aRequestOnBehalfOfAnotherDeviceIsRefused() {
        var node = SPINETest.connectedNode()
        let out = node.receive(call("nodeManagementBindingRequestCall", "bindingRequest", client: #"{"device":"d:_i:Someone_Else","entity":[1],"feature":5}"#,
                                    server: #"{"entity":[1],"feature":1}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(out.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"errorNumber":7,"description":"client device \"d:_i:Someone_Else\" is not the sender \"d:_i:Test_CEM-7\""}"#)
        #expect(node.status.bindings.isEmpty)
    }

    @Test func aBindingIsListedAndDeleted() {
        var node = SPINETest.connectedNode()
        let bind = node.receive(call("nodeManagementBindingRequestCall", "bindingRequest", server: #"{"entity":[1],"feature":1}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(bind.datagrams.first) == 0)
        #expect(bind.events.map(\.kind) == [.bound])
        let list = node.receive(SPINETest.incoming("read", counter: 21, #"{"nodeManagementBindingData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(list.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"bindingEntry":[{"bindingId":1,"clientAddress":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"serverAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1}}]}"#)
        let delete = node.receive(call("nodeManagementBindingDeleteCall", "bindingDelete", server: #"{"entity":[1],"feature":1}"#, type: nil, counter: 23),
                                  from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(delete.datagrams.first) == 0)
        #expect(node.status.bindings.isEmpty)
    }

    @Test func aCallThatIsNoNodeManagementCallOrMissesItsAddressIsRefused() {
        var node = SPINETest.connectedNode()
        let unknown = node.receive(SPINETest.incoming("call", counter: 30, #"{"someOtherCall":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(unknown.datagrams.first) == 6)
        let missing = node.receive(SPINETest.incoming("call", counter: 31, #"{"nodeManagementBindingRequestCall":{"bindingRequest":{"clientAddress":{"entity":[1],"feature":5}}}}"#),
                                   from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(missing.datagrams.first) == 1)
        let result = SPINETest.read(missing.datagrams.first)
        #expect(result.map { SPINETest.ordered($0.commands[0].data) }
            == #"{"errorNumber":1,"description":"nodeManagementBindingRequestCall.bindingRequest.serverAddress: missing"}"#)
    }
}
