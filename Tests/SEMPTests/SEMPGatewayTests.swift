import Foundation
import Testing
@testable import SEMP

/// The station as a SEMP gateway (SMA SEMP schema 1.3.0; seeds/000 "SMA-Schnittstelle (Sunny Home Manager)").
@Suite("SEMP gateway")
struct SEMPGatewayTests {
    let t0 = Date(timeIntervalSince1970: 1_796_479_200)
    let settings = SEMPSettings(enabled: true, mode: .surplus, fallbackAmps: 6, timeoutSeconds: 600, maxEnergyDemandWh: 30_000)
    func gateway() -> SEMPGateway { SEMPGateway(connectorCount: 2, serialDigest: SEMPIdentity.serialDigest("CK-000001"), now: t0) }
    func connector(_ id: Int, session: Bool = true, energyWh: Double = 0, powerW: Double = 0, phases: Int = 3) -> SEMPConnector {
        SEMPConnector(id: id, sessionActive: session, sessionEnergyWh: energyWh, powerW: powerW, phases: phases, phasesWired: 3,
                      minimumAmps: 6, maximumAmps: 16, voltageV: 230)
    }
    func control(_ id: SEMPDeviceId, on: Bool, watts: Double? = nil) -> [UInt8] {
        let power = watts.map { "<RecommendedPowerConsumption>\($0)</RecommendedPowerConsumption>" } ?? ""
        return Array("""
            <?xml version="1.0"?><EM2Device xmlns="http://www.sma.de/communication/schema/SEMP/v1"><DeviceControl>\
            <DeviceId>\(id)</DeviceId><On>\(on)</On>\(power)<Timestamp>0</Timestamp></DeviceControl></EM2Device>
            """.utf8)
    }

    @Test("DeviceId: the schema's pattern, one per connector, derived from the serial (stable), sub-device 00 for connector 1")
    func semp_deviceIdType() {
        let g = gateway()
        #expect(g.deviceIds.map(\.description).allSatisfy { SEMPDeviceId($0) != nil })
        #expect(g.deviceIds[0].description.hasSuffix("-00") && g.deviceIds[1].description.hasSuffix("-01"))
        #expect(g.deviceIds == gateway().deviceIds)
        #expect(g.deviceIds != SEMPGateway(connectorCount: 2, serialDigest: SEMPIdentity.serialDigest("CK-000002"), now: t0).deviceIds)
        #expect(SEMPDeviceId("F-1234567-112233445566-00") == nil && SEMPDeviceId("f-434b4954-112233445566-0a")?.description == "F-434B4954-112233445566-0A")
    }

    @Test("on with a recommended power: the current through the vehicle's phases, bounded by minimum and maximum")
    func em2device_recommendedPower() throws {
        var g = gateway()
        _ = try g.control(control(g.deviceIds[0], on: true, watts: 3442), now: t0)
        var d = g.decisions([connector(1, phases: 1), connector(2)], settings: settings, now: t0)
        #expect(d[0].amps == 14.9 && d[0].reason.contains("1 phase"))  // 3442 W / 230 V = 14.97 A, rounded down
        #expect(d[1].amps == 0 && d[1].reason.contains("waiting"))
        _ = try g.control(control(g.deviceIds[0], on: true, watts: 11_040), now: t0)
        d = g.decisions([connector(1, phases: 3)], settings: settings, now: t0)
        #expect(d[0].amps == 16)
        _ = try g.control(control(g.deviceIds[0], on: true, watts: 500), now: t0)
        #expect(g.decisions([connector(1, phases: 3)], settings: settings, now: t0)[0].amps == 6)
        _ = try g.control(control(g.deviceIds[0], on: false, watts: 5000), now: t0)
        #expect(g.decisions([connector(1)], settings: settings, now: t0)[0].amps == 0)
    }

    @Test("malformed XML, a wrong root, a missing Timestamp or an unknown DeviceId is refused whole: nothing changes")
    func em2device_refusedWhole() throws {
        var g = gateway()
        _ = try g.control(control(g.deviceIds[0], on: true, watts: 4600), now: t0)
        let before = g
        let unknown = SEMPDeviceId("F-00000000-000000000000-00")!
        let two = Array("""
            <EM2Device xmlns="http://www.sma.de/communication/schema/SEMP/v1"><DeviceControl><DeviceId>\(g.deviceIds[0])</DeviceId>\
            <On>false</On><Timestamp>0</Timestamp></DeviceControl><DeviceControl><DeviceId>\(unknown)</DeviceId><On>true</On>\
            <Timestamp>0</Timestamp></DeviceControl></EM2Device>
            """.utf8)
        for body in [Array("<EM2Device".utf8), Array("<Device2EM xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\"/>".utf8),
                     Array("<EM2Device xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\"><DeviceControl><DeviceId>\(g.deviceIds[0])</DeviceId><On>true</On></DeviceControl></EM2Device>".utf8),
                     control(g.deviceIds[0], on: true, watts: -5), control(unknown, on: true), two] {
            #expect(throws: SEMPControlError.self) { _ = try g.control(body, now: t0.addingTimeInterval(10)) }
        }
        #expect(g == before)
    }

    @Test("silence longer than the timeout applies the fallback current; contact brings the last control back")
    func seeds000_smaConnectionLoss() throws {
        var g = gateway()
        // Never heard since the start: waiting, then the fallback after 600 s.
        #expect(g.decisions([connector(1)], settings: settings, now: t0.addingTimeInterval(600))[0].amps == 0)
        let fb = g.decisions([connector(1)], settings: settings, now: t0.addingTimeInterval(601))[0]
        #expect(fb.amps == 6 && fb.fallback && fb.reason.contains("no Sunny Home Manager heard"))
        _ = try g.control(control(g.deviceIds[0], on: true, watts: 2300), now: t0.addingTimeInterval(700))
        #expect(g.decisions([connector(1, phases: 1)], settings: settings, now: t0.addingTimeInterval(700))[0].amps == 10)
        g.heard(at: t0.addingTimeInterval(1200))  // polls keep the control in force
        #expect(g.decisions([connector(1, phases: 1)], settings: settings, now: t0.addingTimeInterval(1700))[0].amps == 10)
        let silent = g.decisions([connector(1, phases: 1)], settings: settings, now: t0.addingTimeInterval(1801))[0]
        #expect(silent.fallback && silent.amps == 6 && silent.reason.contains("silent for 601 s"))
        g.heard(at: t0.addingTimeInterval(1900))
        #expect(g.decisions([connector(1, phases: 1)], settings: settings, now: t0.addingTimeInterval(1900))[0].amps == 10)
        var off = settings
        off.fallbackAmps = 0
        #expect(g.decisions([connector(1)], settings: off, now: t0.addingTimeInterval(3000))[0].amps == 0)
    }

    @Test("Fast mode: no limit, EMSignalsAccepted false, the energy required now")
    func smaChargeMode_fast() throws {
        var fast = settings
        fast.mode = .fast
        var g = gateway()
        _ = try g.control(control(g.deviceIds[0], on: false), now: t0)
        #expect(g.decisions([connector(1)], settings: fast, now: t0).isEmpty)
        let doc = g.document([connector(1, energyWh: 10_000)], settings: fast, identity: "CP", serial: "S", url: nil, now: t0)
        #expect(doc.statuses[0].emSignalsAccepted == false)
        let tf = try #require(doc.requests.first?.first)
        #expect(tf.minEnergyWh == 20_000 && tf.maxEnergyWh == 20_000 && tf.minPowerW == 11_040 && tf.latestEndSeconds == 6522)
    }

    @Test("PlanningRequest: optional energy up to the maximum demand minus what the session charged; none without a session or once met")
    func semp_planningRequest() throws {
        let g = gateway()
        let doc = g.document([connector(1, energyWh: 12_500, phases: 1), connector(2, session: false)], settings: settings,
                             identity: "CP", serial: "S", url: nil, now: t0)
        #expect(doc.requests.count == 1)
        let tf = try #require(doc.requests.first?.first)
        #expect(tf.deviceId == g.deviceIds[0] && tf.earliestStartSeconds == 0 && tf.latestEndSeconds == 86_400)
        #expect(tf.minEnergyWh == 0 && tf.maxEnergyWh == 17_500 && tf.maxPowerW == 3680 && tf.minPowerW == 1380)
        let met = g.document([connector(1, energyWh: 30_000)], settings: settings, identity: "CP", serial: "S", url: nil, now: t0)
        #expect(met.requests.isEmpty)
    }

    @Test("DeviceStatus: the power averaged over 60 s, On while drawing, Offline when unavailable")
    func semp_deviceStatus() {
        var g = gateway()
        for s in 0..<60 { g.sample([connector(1, powerW: s < 30 ? 0 : 4000)], now: t0.addingTimeInterval(Double(s))) }
        var c = connector(1, powerW: 4000)
        var st = g.document([c], settings: settings, identity: "CP", serial: "S", url: nil, now: t0.addingTimeInterval(59)).statuses[0]
        #expect(st.status == .on && st.averagePowerW == 2000 && st.minPowerW == 0 && st.maxPowerW == 4000 && st.averagingIntervalSeconds == 60)
        c.available = false
        c.errorCode = 1
        st = g.document([c], settings: settings, identity: "CP", serial: "S", url: nil, now: t0.addingTimeInterval(59)).statuses[0]
        #expect(st.status == .offline && st.errorCode == 1)
    }

    @Test("the Device2EM document: schema 1.3.0 order (Max before Min power), every device's info, then status, then requests")
    func semp_1_3_0_documentOrder() throws {
        let g = gateway()
        let xml = g.document([connector(1), connector(2, session: false)], settings: settings, identity: "CP", serial: "S", url: "http://x",
                             now: t0).document
        let root = try XMLParser.parse(xml)
        #expect(root.name == "Device2EM" && root.namespace == SEMP.namespace)
        #expect(root.children.map(\.name) == ["DeviceInfo", "DeviceInfo", "DeviceStatus", "DeviceStatus", "PlanningRequest"])
        let ch = try #require(root.child("DeviceInfo")?.child("Characteristics"))
        #expect(ch.children.map(\.name) == ["MaxPowerConsumption", "MinPowerConsumption"] && ch.value("MaxPowerConsumption") == "11040")
        #expect(root.child("DeviceInfo")?.child("Identification")?.value("DeviceType") == "EVCharger")
        let only = g.document([connector(1), connector(2)], settings: settings, identity: "CP", serial: "S", url: nil, now: t0, only: g.deviceIds[1])
        #expect(only.infos.map(\.deviceId) == [g.deviceIds[1]])
    }

    @Test("the UPnP description names the SEMP device type, the UDN and the SEMP service block")
    func upnp_description() throws {
        let xml = UPnPDescription(uuid: "u-1", friendlyName: "ChargeKit CP", modelNumber: "0.1.0", serialNumber: "S",
                                  server: "http://10.0.0.1:8090").document
        let root = try XMLParser.parse(xml)
        let device = try #require(root.child("device"))
        #expect(root.namespace == "urn:schemas-upnp-org:device-1-0" && device.value("deviceType") == SSDP.sempDeviceType)
        #expect(device.value("UDN") == "uuid:u-1")
        let service = try #require(device.child("X_SEMPSERVICE"))
        #expect(service.namespace == UPnPDescription.serviceNamespace && service.value("server") == "http://10.0.0.1:8090"
                && service.value("basePath") == "/semp" && service.value("transport") == "HTTP/Pull")
    }
}
