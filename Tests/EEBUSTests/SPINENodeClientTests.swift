import EEBUS
import OCPP16
import Testing

/// The engine as a client (SPINE TS 1.3.0 §7.3, §7.4.1): a remote device's discovery, the subscriptions and reads of
/// the remote server features of the types of the local client features, and the remote data passed to the
/// application.
@Suite struct SPINENodeClientTests {
    /// The CEM's discovery: an energy guard with a DeviceDiagnosis server (heartbeat) and a LoadControl client.
    private let discovery = """
    {"nodeManagementDetailedDiscoveryData":{
      "specificationVersionList":{"specificationVersion":["1.3.0"]},
      "deviceInformation":{"description":{"deviceAddress":{"device":"d:_i:Test_CEM-7"},"deviceType":"EnergyManagementSystem","networkFeatureSet":"smart"}},
      "entityInformation":[{"description":{"entityAddress":{"entity":[0]},"entityType":"DeviceInformation"}},
        {"description":{"entityAddress":{"entity":[1]},"entityType":"GridGuard"}}],
      "featureInformation":[
        {"description":{"featureAddress":{"entity":[0],"feature":0},"featureType":"NodeManagement","role":"special"}},
        {"description":{"featureAddress":{"entity":[1],"feature":5},"featureType":"LoadControl","role":"client"}},
        {"description":{"featureAddress":{"entity":[1],"feature":6},"featureType":"DeviceDiagnosis","role":"server",
          "supportedFunction":[{"function":"deviceDiagnosisHeartbeatData","possibleOperations":{"read":{}}},
                               {"function":"deviceDiagnosisStateData","possibleOperations":{"read":{}}}]}}]}}
    """

    private func discovered() -> (SPINENode<TestSPINEApp>, SPINEOutput) {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("reply", counter: 1, reference: 1, discovery), from: SPINETest.ski, now: SPINETest.now)
        return (node, out)
    }

    @Test func afterTheDiscoveryReplyEachLocalClientFeatureSubscribesToAndReadsTheRemoteServerFeaturesOfItsType() {
        let (node, out) = discovered()
        #expect(out.datagrams.count == 2)
        SPINETest.expectDatagram(out.datagrams.first, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[0],"feature":0},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[0],"feature":0},"msgCounter":4,"cmdClassifier":"call","ackRequest":true},
         "payload":{"cmd":[{"nodeManagementSubscriptionRequestCall":{"subscriptionRequest":{
           "clientAddress":{"device":"d:_n:Test_Station-1","entity":[1],"feature":3},
           "serverAddress":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":6},"serverFeatureType":"DeviceDiagnosis"}}}]}}}
        """)
        // Only the function the client lists is read, not the remote's state data.
        SPINETest.expectDatagram(out.datagrams.last, """
        {"datagram":{"header":{"specificationVersion":"1.3.0","addressSource":{"device":"d:_n:Test_Station-1","entity":[1],"feature":3},
          "addressDestination":{"device":"d:_i:Test_CEM-7","entity":[1],"feature":6},"msgCounter":5,"cmdClassifier":"read"},
         "payload":{"cmd":[{"deviceDiagnosisHeartbeatData":{}}]}}}
        """)
        #expect(node.app.remoteChanges == ["\(SPINETest.ski) EnergyManagementSystem"])
        #expect(out.events.map(\.kind) == [.discovered, .subscribed])
        #expect(node.status.clientSubscriptions == [SPINEStatus.Link(
            ski: SPINETest.ski, client: SPINEFeatureAddress(entity: [1], feature: 3),
            server: SPINEFeatureAddress(device: SPINETest.cem, entity: [1], feature: 6), serverFeatureType: "DeviceDiagnosis")])
    }

    @Test func repliesAndNotifiesForALocalClientFeatureReachTheApplication() {
        var (node, _) = discovered()
        let heartbeat = #"{"deviceDiagnosisHeartbeatData":{"heartbeatCounter":17,"heartbeatTimeout":"PT4M"}}"#
        let reply = node.receive(SPINETest.incoming("reply", counter: 2, from: "[1],\"feature\":6", to: "[1],\"feature\":3", reference: 5, heartbeat),
                                 from: SPINETest.ski, now: SPINETest.now)
        #expect(reply.datagrams.isEmpty)
        let notify = node.receive(SPINETest.incoming("notify", counter: 3, from: "[1],\"feature\":6", to: "[1],\"feature\":3", ack: true, heartbeat),
                                  from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.errorNumber(notify.datagrams.first) == 0, "ackRequest is answered")
        #expect(node.app.received.map(\.classifier) == [.reply, .notify])
        let last = node.app.received.last
        #expect(last?.function == "deviceDiagnosisHeartbeatData")
        #expect(last?.data == SPINETest.json(#"{"heartbeatCounter":17,"heartbeatTimeout":"PT4M"}"#))
        #expect(last?.localFeature == SPINEFeatureAddress(entity: [1], feature: 3))
        #expect(last?.from == SPINERemoteFeature(ski: SPINETest.ski, address: SPINEFeatureAddress(device: SPINETest.cem, entity: [1], feature: 6)))
        // A notify for a local server feature is no client data: refused, the application sees nothing.
        let wrong = node.receive(SPINETest.incoming("notify", counter: 4, from: "[1],\"feature\":6", to: "[1],\"feature\":2", heartbeat),
                                 from: SPINETest.ski, now: SPINETest.now)
        #expect(wrong.events.map(\.kind) == [.refused])
        #expect(node.app.received.count == 2)
    }

    @Test func aPartialDiscoveryNotifyAddsAndRemovesRemoteEntitiesAndTheClientRuleFollows() {
        var (node, _) = discovered()
        let added = node.receive(SPINETest.incoming("notify", counter: 5, """
        {"function":"nodeManagementDetailedDiscoveryData","filter":[{"cmdControl":{"partial":{}}}],"nodeManagementDetailedDiscoveryData":{
          "deviceInformation":{"description":{"deviceAddress":{"device":"d:_i:Test_CEM-7"}}},
          "entityInformation":[{"description":{"entityAddress":{"entity":[2]},"entityType":"CEM","lastStateChange":"added"}}],
          "featureInformation":[{"description":{"featureAddress":{"entity":[2],"feature":1},"featureType":"DeviceDiagnosis","role":"server"}}]}}
        """), from: SPINETest.ski, now: SPINETest.now)
        // The new server feature names no functions: the client's are read.
        let sent = added.datagrams.compactMap(SPINETest.read)
        #expect(sent.map(\.header.classifier) == [.call, .read])
        #expect(sent.last?.header.destination == SPINEFeatureAddress(device: SPINETest.cem, entity: [2], feature: 1))
        #expect(node.status.clientSubscriptions.count == 2)
        #expect(node.status.remotes.first?.entities == ["[0] DeviceInformation: NodeManagement (special)",
                                                        "[1] GridGuard: LoadControl (client), DeviceDiagnosis (server)",
                                                        "[2] CEM: DeviceDiagnosis (server)"])
        #expect(node.app.remoteChanges.count == 1, "the application hears of the device once")

        let removed = node.receive(SPINETest.incoming("notify", counter: 6, """
        {"function":"nodeManagementDetailedDiscoveryData","filter":[{"cmdControl":{"partial":{}}}],"nodeManagementDetailedDiscoveryData":{
          "entityInformation":[{"description":{"entityAddress":{"entity":[2]},"lastStateChange":"removed"}}]}}
        """), from: SPINETest.ski, now: SPINETest.now)
        #expect(removed.datagrams.isEmpty)
        #expect(removed.events.map(\.kind) == [.unsubscribed])
        #expect(node.status.clientSubscriptions.count == 1)
        #expect(node.status.remotes.first?.entities.count == 2)
    }

    @Test func theRemoteUseCasesAreKeptForTheStatus() {
        var (node, _) = discovered()
        _ = node.receive(SPINETest.incoming("reply", counter: 7, reference: 2, """
        {"nodeManagementUseCaseData":{"useCaseInformation":[{"address":{"device":"d:_i:Test_CEM-7","entity":[1]},"actor":"EnergyGuard",
          "useCaseSupport":[{"useCaseName":"limitationOfPowerConsumption","useCaseVersion":"1.0.0","useCaseAvailable":true,"scenarioSupport":[1,2,3,4]}]}]}}
        """), from: SPINETest.ski, now: SPINETest.now)
        let remote = node.status.remotes.first
        #expect(remote?.useCases == ["EnergyGuard limitationOfPowerConsumption 1.0.0"])
        #expect(remote?.deviceType == "EnergyManagementSystem" && remote?.deviceAddress == SPINETest.cem && remote?.discovered == true)
        #expect(SPINETest.ordered(node.status.json).hasPrefix(#"{"remotes":[{"ski":"a1b2c3d4e5f60718293a4b5c6d7e8f9012345678","deviceAddress":"d:_i:Test_CEM-7","deviceType":"EnergyManagementSystem","discovered":true"#))
    }

    @Test func aLocalClientFeatureThatAppearsLaterIsLinkedAtTheRefreshAndOneThatLeavesIsUnsubscribed() {
        var app = TestSPINEApp()
        app.entities[1].features.removeLast()
        var node = SPINETest.connectedNode(app)
        let first = node.receive(SPINETest.incoming("reply", counter: 1, reference: 1, discovery), from: SPINETest.ski, now: SPINETest.now)
        #expect(first.datagrams.isEmpty, "no local client feature yet")
        node.app.entities[1].features.append(SPINEFeatureDescription(index: 3, type: "DeviceDiagnosis", role: .client,
                                                                     functions: [SPINEFunctionSupport("deviceDiagnosisHeartbeatData")]))
        let linked = node.refresh(now: SPINETest.now)
        #expect(linked.datagrams.compactMap(SPINETest.read).map(\.header.classifier) == [.call, .read])
        node.app.entities[1].features.removeLast()
        let unlinked = node.refresh(now: SPINETest.now).datagrams.compactMap(SPINETest.read)
        #expect(unlinked.map { $0.commands[0].function } == ["nodeManagementSubscriptionDeleteCall"])
        #expect(node.status.clientSubscriptions.isEmpty)
    }

    /// The wire form as devices send it (SHIP TS 1.0.1 §13.4.1: every object an array of one-member objects, an empty
    /// object `[]`, `{"partial":[]}`), through ``EEBUSJSON`` into the engine: an entity added by a partial notify.
    @Test func aPartialDiscoveryNotifyInTheWireFormIsRead() throws {
        var (node, _) = discovered()
        let wire = #"{"datagram":[{"header":[{"specificationVersion":"1.1.1"},{"addressSource":[{"device":"d:_i:Test_CEM-7"},{"entity":[0]},{"feature":0}]},{"addressDestination":[{"device":"d:_n:Test_Station-1"},{"entity":[0]},{"feature":0}]},{"msgCounter":9},{"cmdClassifier":"notify"}]},{"payload":[{"cmd":[[{"function":"nodeManagementDetailedDiscoveryData"},{"filter":[[{"cmdControl":[{"partial":[]}]}]]},{"nodeManagementDetailedDiscoveryData":[{"deviceInformation":[{"description":[{"deviceAddress":[{"device":"d:_i:Test_CEM-7"}]}]}]},{"entityInformation":[[{"description":[{"entityAddress":[{"entity":[3]}]},{"entityType":"HeatPumpAppliance"},{"lastStateChange":"added"}]}]]},{"featureInformation":[[{"description":[{"featureAddress":[{"entity":[3]},{"feature":1}]},{"featureType":"DeviceDiagnosis"},{"role":"server"},{"supportedFunction":[[{"function":"deviceDiagnosisHeartbeatData"},{"possibleOperations":[{"read":[]}]}]]}]}]]}]}]]}]}]}"#
        let out = node.receive(try EEBUSJSON.decode(Array(wire.utf8) + [0]), from: SPINETest.ski, now: SPINETest.now)
        #expect(out.events.map(\.kind) == [.subscribed])
        #expect(node.status.remotes.first?.entities.last == "[3] HeatPumpAppliance: DeviceDiagnosis (server)")
        // What goes back out is the wire form too, and reads back as the same datagram.
        let read = try #require(out.datagrams.last)
        let back = try EEBUSJSON.decode(EEBUSJSON.encode(read.datagram))
        #expect(try SPINEDatagram(json: back) == SPINEDatagram(json: read.datagram))
        #expect(SPINETest.read(read)?.header.destination == SPINEFeatureAddress(device: SPINETest.cem, entity: [3], feature: 1))
    }

    @Test func anErrorResultOfTheRemoteIsLoggedWithTheRequestItAnswers() {
        var (node, _) = discovered()
        let out = node.receive(SPINETest.incoming("result", counter: 8, reference: 4, #"{"resultData":{"errorNumber":7,"description":"no subscriptions"}}"#),
                               from: SPINETest.ski, now: SPINETest.now)
        #expect(out.datagrams.isEmpty)
        #expect(out.events == [SPINEEvent(.remoteError, ski: SPINETest.ski,
                                          "nodeManagementSubscriptionRequestCall to d:_i:Test_CEM-7/0/0: error 7: no subscriptions")])
        let unmatched = node.receive(SPINETest.incoming("result", counter: 9, reference: 4, #"{"resultData":{"errorNumber":1}}"#),
                                     from: SPINETest.ski, now: SPINETest.now)
        #expect(unmatched.events.first?.message == "unknown request #4: error 1: no description")
    }

    @Test func aDiscoveryReplyThatIsMalformedIsRefusedAndTheDeviceStaysUndiscovered() {
        var node = SPINETest.connectedNode()
        let out = node.receive(SPINETest.incoming("reply", counter: 1, reference: 1, ack: true, """
        {"nodeManagementDetailedDiscoveryData":{"featureInformation":[{"description":{"featureAddress":{"entity":[1],"feature":1},"featureType":"X","role":"boss"}}]}}
        """), from: SPINETest.ski, now: SPINETest.now)
        #expect(SPINETest.read(out.datagrams.first).map { SPINETest.ordered($0.commands[0].data) }
            == #"{"errorNumber":1,"description":"reply: nodeManagementDetailedDiscoveryData.featureInformation[0].description.role: unknown role \"boss\" (client, server or special)"}"#)
        #expect(node.status.remotes.first?.discovered == false)
        #expect(node.app.remoteChanges.isEmpty)
    }
}
