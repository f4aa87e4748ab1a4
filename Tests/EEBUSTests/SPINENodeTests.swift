import EEBUS
import OCPP16
import Testing

/// The engine serving the application's features (SPINE TS 1.3.0 §5.3, §7.4): reads, errors, subscriptions with
/// notify on change, writes only from bound clients, the discovery notify when an entity comes or goes.
@Suite struct SPINENodeTests {
    private let limits = #"{"loadControlLimitData":[{"limitId":1,"value":{"number":4200,"scale":0}}]}"#

    private func subscribe(_ node: inout SPINENode<TestSPINEApp>, entity: String = "[1]", feature: Int = 1, type: String = "LoadControl",
                           client: String = "[1],\"feature\":5", counter: Int = 50) {
        let out = node.receive(SPINETest.incoming("call", counter: counter, ack: true, """
        {"nodeManagementSubscriptionRequestCall":{"subscriptionRequest":{"clientAddress":{"device":"\(SPINETest.cem)","entity":\(client)},
          "serverAddress":{"device":"d:_n:Test_Station-1","entity":\(entity),"feature":\(feature)},"serverFeatureType":"\(type)"}}}
        """), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(out.datagrams.first) == 0)
    }

    private func bind(_ node: inout SPINENode<TestSPINEApp>) {
        let out = node.receive(SPINETest.incoming("call", counter: 60, ack: true, """
        {"nodeManagementBindingRequestCall":{"bindingRequest":{"clientAddress":{"device":"\(SPINETest.cem)","entity":[1],"feature":5},
          "serverAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},"serverFeatureType":"LoadControl"}}}
        """), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(out.datagrams.first) == 0)
    }

    @Test func aReadIsAnsweredWithTheApplicationsDataFromTheAddressedFeature() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 40, from: "[1],\"feature\":5", to: "[1],\"feature\":1",
                                                  #"{"loadControlLimitListData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"msgCounter":4,"msgCounterReference":40,"cmdClassifier":"reply"},
         "payload":{"cmd":[{"loadControlLimitListData":\(limits)}]}}}
        """)
        // A readable function without data yet is answered with empty data.
        let empty = node.receive(SPINETest.incoming("read", counter: 41, from: "[1],\"feature\":5", to: "[1],\"feature\":1",
                                                    #"{"loadControlLimitDescriptionListData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(empty.datagrams.first)?.commands == [SPINECommand(function: "loadControlLimitDescriptionListData")])
        // The application's feature on entity [0] is served there, beside NodeManagement.
        let classification = node.receive(SPINETest.incoming("read", counter: 45, to: "[0],\"feature\":1", #"{"deviceClassificationManufacturerData":{}}"#),
                                          from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(classification.datagrams.first)?.commands == [SPINECommand(function: "deviceClassificationManufacturerData",
                                                                                          data: SPINETest.json(#"{"brandName":"Test"}"#))])
    }

    @Test(arguments: [
        ("[7],\"feature\":1", #"{"loadControlLimitListData":{}}"#, Int64(4), "no feature 1 on entity [7]"),
        ("[1],\"feature\":8", #"{"loadControlLimitListData":{}}"#, Int64(4), "no feature 8 on entity [1]"),
        ("[1],\"feature\":1", #"{"measurementListData":{}}"#, Int64(6), "LoadControl at local/1/1 cannot read measurementListData"),
        ("[1],\"feature\":3", #"{"deviceDiagnosisHeartbeatData":{}}"#, Int64(6), "DeviceDiagnosis at local/1/3 is a client"),
    ])
    func aReadOfAnUnknownEntityFeatureOrFunctionIsAnsweredWithAnError(to: String, cmd: String, error: Int64, reason: String) {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 42, from: "[1],\"feature\":5", to: to, cmd), from: SPINETest.ski, now: SPINETest.now)
        #expect(out.datagrams.count == 1)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":\(to)},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"msgCounter":4,"msgCounterReference":42,"cmdClassifier":"result"},
         "payload":{"cmd":[{"resultData":{"errorNumber":\(error),"description":"\(reason)"}}]}}}
        """)
        #expect(out.events.map(\.kind) == [.answeredError])
    }

    @Test func aDatagramForAnotherDeviceIsAnsweredWithErrorFour() {
        var node = SPINETest.connectedNode()
        let datagram = SPINETest.incoming("read", counter: 43, device: "d:_n:Elsewhere", #"{"nodeManagementUseCaseData":{}}"#)
        let out = node.receive(datagram, from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(out.datagrams.first) == 4)
    }

    @Test func afterARefreshASubscriberIsNotifiedOfChangedDataOnlyAndOfNothingWhenNothingChanged() {
        var node = SPINETest.connectedNode()
        subscribe(&node)
        #expect(node.refresh(now: SPINETest.now).datagrams.isEmpty, "the subscriber has the data it reads; nothing changed yet")
        node.app.values["1/1/loadControlLimitListData"] = SPINETest.json(#"{"loadControlLimitData":[{"limitId":1,"value":{"number":3700,"scale":0}}]}"#)
        let out = node.refresh(now: SPINETest.now)
        #expect(out.datagrams.count == 1)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"msgCounter":5,"cmdClassifier":"notify"},
         "payload":{"cmd":[{"loadControlLimitListData":{"loadControlLimitData":[{"limitId":1,"value":{"number":3700,"scale":0}}]}}]}}}
        """)
        #expect(node.refresh(now: SPINETest.now).datagrams.isEmpty)
        // Data that appears for another function of the feature is notified too.
        node.app.values["1/1/loadControlLimitDescriptionListData"] = SPINETest.json(#"{"loadControlLimitDescriptionData":[{"limitId":1}]}"#)
        let second = node.refresh(now: SPINETest.now)
        #expect(SPINETest.read(second.datagrams.first)?.commands.map(\.function) == ["loadControlLimitDescriptionListData"])
        #expect(second.datagrams.count == 1)
    }

    @Test func aBoundWriteWithAckRequestIsPassedToTheApplicationAnsweredWithResultZeroAndNotified() {
        var node = SPINETest.connectedNode()
        bind(&node)
        subscribe(&node)
        let write = SPINETest.incoming("write", counter: 70, from: "[1],\"feature\":5", to: "[1],\"feature\":1", ack: true, """
        {"function":"loadControlLimitListData","filter":[{"cmdControl":{"partial":{}}}],
         "loadControlLimitListData":{"loadControlLimitData":[{"limitId":1,"isLimitActive":true,"value":{"number":2000,"scale":0}}]}}
        """)
        let out = node.receive(write, from: SPINETest.ski, now: SPINETest.now)
        #expect(node.app.writes.count == 1)
        let request = node.app.writes.first
        #expect(request?.function == "loadControlLimitListData")
        #expect(request?.feature == SPINEFeatureAddress(entity: [1], feature: 1))
        #expect(request?.from == SPINERemoteFeature(ski: SPINETest.ski, address: SPINEFeatureAddress(device: SPINETest.cem, entity: [1], feature: 5)))
        #expect(request?.filters == [SPINETest.json(#"{"cmdControl":{"partial":{}}}"#)])
        #expect(out.datagrams.count == 2)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"msgCounter":6,"msgCounterReference":70,"cmdClassifier":"result"},
         "payload":{"cmd":[{"resultData":{"errorNumber":0}}]}}}
        """)
        #expect(SPINETest.read(out.datagrams.last)?.header.classifier == .notify)
    }

    @Test func anUnboundWriteIsAnsweredWithErrorNineAndNeverReachesTheApplication() {
        var node = SPINETest.connectedNode()
        subscribe(&node)
        let write = SPINETest.incoming("write", counter: 71, from: "[1],\"feature\":5", to: "[1],\"feature\":1",
                                       #"{"loadControlLimitListData":{"loadControlLimitData":[]}}"#)
        let out = node.receive(write, from: SPINETest.ski, now: SPINETest.now)
        #expect(node.app.writes.isEmpty)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[1],"feature":1},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":5},"msgCounter":5,"msgCounterReference":71,"cmdClassifier":"result"},
         "payload":{"cmd":[{"resultData":{"errorNumber":9,"description":"binding required: d:_i:Test_CEM-7/1/5 is not bound to local/1/1"}}]}}}
        """)
        #expect(out.datagrams.count == 1)
        // Bound from another feature of the same device is not bound either.
        bind(&node)
        let other = node.receive(SPINETest.incoming("write", counter: 72, from: "[2],\"feature\":5", to: "[1],\"feature\":1",
                                                    #"{"loadControlLimitListData":{"loadControlLimitData":[]}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(other.datagrams.first) == 9)
        #expect(node.app.writes.isEmpty)
    }

    @Test func aWriteOfAReadOnlyFunctionOrARefusalOfTheApplicationIsAnsweredWithItsError() {
        var app = TestSPINEApp()
        app.writeOutcome = .refused(errorNumber: 7, description: "limit above the station's maximum")
        var node = SPINETest.connectedNode(app)
        bind(&node)
        let readOnly = node.receive(SPINETest.incoming("write", counter: 73, from: "[1],\"feature\":5", to: "[1],\"feature\":1",
                                                       #"{"loadControlLimitDescriptionListData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(readOnly.datagrams.first) == 6)
        let refused = node.receive(SPINETest.incoming("write", counter: 74, from: "[1],\"feature\":5", to: "[1],\"feature\":1",
                                                      #"{"loadControlLimitListData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(refused.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"errorNumber":7,"description":"limit above the station's maximum"}"#)
        #expect(node.app.writes.count == 1)
    }

    @Test func anEntityThatAppearsOrLeavesIsNotifiedToTheNodeManagementSubscribersAndItsSubscriptionsEnd() {
        var node = SPINETest.connectedNode()
        subscribe(&node, entity: "[0]", feature: 0, type: "NodeManagement", client: "[0],\"feature\":0")
        let ev = SPINEEntityDescription(address: [1, 1], type: "EV", features: [
            SPINEFeatureDescription(index: 1, type: "Measurement", role: .server, functions: [SPINEFunctionSupport("measurementListData")]),
        ], description: "Electric vehicle")
        node.app.entities.append(ev)
        node.app.values["1,1/1/measurementListData"] = SPINETest.json(#"{"measurementData":[]}"#)
        let added = node.refresh(now: SPINETest.now)
        #expect(added.datagrams.count == 1)
        SPINETest.expectDatagram(added.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":5,"cmdClassifier":"notify"},
         "payload":{"cmd":[{"function":"nodeManagementDetailedDiscoveryData","filter":[{"cmdControl":{"partial":{}}}],
          "nodeManagementDetailedDiscoveryData":{
           "deviceInformation":{"description":{"deviceAddress":{"device":"d:_n:Test_Station-1"},"deviceType":"ChargingStation","networkFeatureSet":"smart"}},
           "entityInformation":[{"description":{"entityAddress":{"device":"d:_n:Test_Station-1","entity":[1,1]},"entityType":"EV","lastStateChange":"added","description":"Electric vehicle"}}],
           "featureInformation":[{"description":{"featureAddress":{"device":"d:_n:Test_Station-1","entity":[1,1],"feature":1},"featureType":"Measurement","role":"server",
             "supportedFunction":[{"function":"measurementListData","possibleOperations":{"read":{}}}]}}]}}]}}}
        """)
        subscribe(&node, entity: "[1,1]", feature: 1, type: "Measurement", counter: 51)
        #expect(node.status.subscriptions.count == 2)

        node.app.entities.removeLast()
        let removed = node.refresh(now: SPINETest.now)
        SPINETest.expectDatagram(removed.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":7,"cmdClassifier":"notify"},
         "payload":{"cmd":[{"function":"nodeManagementDetailedDiscoveryData","filter":[{"cmdControl":{"partial":{}}}],
          "nodeManagementDetailedDiscoveryData":{
           "deviceInformation":{"description":{"deviceAddress":{"device":"d:_n:Test_Station-1"},"deviceType":"ChargingStation","networkFeatureSet":"smart"}},
           "entityInformation":[{"description":{"entityAddress":{"device":"d:_n:Test_Station-1","entity":[1,1]},"lastStateChange":"removed"}}]}}]}}}
        """)
        #expect(removed.datagrams.count == 1)
        #expect(removed.events.map(\.kind) == [.unsubscribed])
        #expect(node.status.subscriptions.count == 1)
        #expect(node.refresh(now: SPINETest.now).datagrams.isEmpty)
    }

    @Test func aChangedFeatureIsAnnouncedInFullAndChangedUseCasesAreNotified() {
        var node = SPINETest.connectedNode()
        subscribe(&node, entity: "[0]", feature: 0, type: "NodeManagement", client: "[0],\"feature\":0")
        node.app.entities[1].features.removeLast()
        node.app.useCases[1].available = false
        let out = node.refresh(now: SPINETest.now)
        let sent = out.datagrams.compactMap(SPINETest.read)
        #expect(sent.map { $0.commands[0].function } == ["nodeManagementDetailedDiscoveryData", "nodeManagementUseCaseData"])
        #expect(sent.first?.commands[0].filters == [])
        if case .object(let d)? = sent.first?.commands[0].data, case .array(let features)? = d["featureInformation"] {
            #expect(features.count == 4)
        } else {
            Issue.record("no featureInformation")
        }
        let useCaseText = SPINETest.ordered(sent.last?.commands[0].data ?? .null)
        #expect(useCaseText.contains(#""useCaseName":"evseCommissioningAndConfiguration","useCaseVersion":"1.0.1","useCaseAvailable":false"#))
    }

    @Test func messageCountersRiseAcrossAllRemotesAndADisconnectEndsTheRemotesLinks() {
        var node = SPINETest.connectedNode()
        bind(&node)
        subscribe(&node)
        _ = node.connected(ski: "other", now: SPINETest.now)
        #expect(node.msgCounter == 8)
        #expect(node.connectedSKIs == ["other", SPINETest.ski].sorted())
        let out = node.disconnected(ski: SPINETest.ski, now: SPINETest.now)
        #expect(out.events.map(\.kind) == [.unsubscribed, .unbound])
        #expect(node.status.subscriptions.isEmpty && node.status.bindings.isEmpty)
        #expect(node.app.remoteChanges == ["\(SPINETest.ski) gone"])
        let late = node.receive(SPINETest.incoming("read", counter: 99, #"{"nodeManagementUseCaseData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(late.datagrams.isEmpty && late.events.map(\.kind) == [.refused])
    }

    @Test func aMalformedDatagramWithAReadableHeaderIsAnsweredWithErrorOneNamingTheElement() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("read", counter: 44, #"{"aData":{},"bData":{}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(out.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"errorNumber":1,"description":"malformed datagram: datagram.payload.cmd[0]: 2 function data elements (aData, bData), one allowed"}"#)
        let headless = node.receive(SPINETest.json(#"{"datagram":{"payload":{}}}"#), from: SPINETest.ski, now: SPINETest.now)
        #expect(headless.datagrams.isEmpty)
        #expect(headless.events == [SPINEEvent(.refused, ski: SPINETest.ski, "malformed datagram: datagram.header: missing")])
    }
}
