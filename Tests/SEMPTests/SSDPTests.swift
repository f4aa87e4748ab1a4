import Testing
@testable import SEMP

/// SSDP as UPnP Device Architecture 1.0 §1 defines it, with SEMP's device type.
@Suite("SSDP")
struct SSDPTests {
    let device = SSDP.Device(uuid: "56be0502-c743-5981-9d29-1b77b088a73b", server: "Linux UPnP/1.0 ChargeKit/0.1.0")

    func search(_ st: String, man: String = "MAN: \"ssdp:discover\"", mx: String? = "MX: 2") -> [UInt8] {
        Array((["M-SEARCH * HTTP/1.1", "HOST: 239.255.255.250:1900", man] + (mx.map { [$0] } ?? []) + ["ST: \(st)", "", ""])
            .joined(separator: "\r\n").utf8)
    }

    @Test("UDA 1.0 §1.2.2: the SEMP device type, upnp:rootdevice, uuid and ssdp:all are answered; other targets are not")
    func uda_1_2_2_searchTargets() throws {
        let hit = try #require(SSDP.parse(search(SSDP.sempDeviceType)).flatMap { SSDP.search($0, device: device) })
        #expect(hit.targets.map(\.usn) == ["uuid:\(device.uuid)::\(SSDP.sempDeviceType)"] && hit.mxSeconds == 2)
        #expect(SSDP.parse(search("ssdp:all")).flatMap { SSDP.search($0, device: device) }?.targets.count == 3)
        #expect(SSDP.parse(search("upnp:rootdevice")).flatMap { SSDP.search($0, device: device) }?.targets.count == 1)
        #expect(SSDP.parse(search("uuid:\(device.uuid)")).flatMap { SSDP.search($0, device: device) }?.targets.count == 1)
        #expect(SSDP.parse(search("urn:schemas-upnp-org:device:MediaServer:1")).flatMap { SSDP.search($0, device: device) } == nil)
        #expect(SSDP.parse(search("ssdp:all", man: "MAN: \"ssdp:other\"")).flatMap { SSDP.search($0, device: device) } == nil)
    }

    @Test("headers are read case-insensitively with any spacing (async-upnp-client writes MAN:\"ssdp:discover\"); MX is capped at 5 s")
    func headerTolerance() throws {
        let m = try #require(SSDP.parse(search("ssdp:all", man: "man:\"ssdp:discover\"", mx: "mx:   120")))
        #expect(SSDP.search(m, device: device)?.mxSeconds == 5)
        #expect(SSDP.parse(search("ssdp:all", mx: nil)).flatMap { SSDP.search($0, device: device) }?.mxSeconds == 0)
        #expect(SSDP.parse(Array(repeating: 0x41, count: 5000)) == nil)
        #expect(SSDP.parse([0xFF, 0xFE]) == nil)
    }

    @Test("UDA 1.0 §1.2.3 answers and §1.1.2/§1.1.3 advertisements carry the required headers")
    func uda_1_1_and_1_2_3_messages() throws {
        let replies = SSDP.responses([(st: SSDP.sempDeviceType, usn: "uuid:x::y")], device: device, location: "http://10.0.0.1:8090/description.xml",
                                     date: "Sat, 05 Dec 2026 14:00:00 GMT")
        let r = try #require(SSDP.parse(Array(replies[0].utf8)))
        #expect(r.startLine == "HTTP/1.1 200 OK" && r["CACHE-CONTROL"] == "max-age=1800" && r["EXT"] == "" && r["ST"] == SSDP.sempDeviceType)
        #expect(r["LOCATION"] == "http://10.0.0.1:8090/description.xml" && r["USN"] == "uuid:x::y" && r["SERVER"] == device.server)
        let alive = SSDP.notifications(device: device, location: "http://l", alive: true).compactMap { SSDP.parse(Array($0.utf8)) }
        #expect(alive.map { $0["NT"] } == ["upnp:rootdevice", "uuid:\(device.uuid)", SSDP.sempDeviceType])
        #expect(alive.allSatisfy { $0.startLine == "NOTIFY * HTTP/1.1" && $0["NTS"] == "ssdp:alive" && $0["LOCATION"] == "http://l" })
        let bye = SSDP.notifications(device: device, location: "http://l", alive: false).compactMap { SSDP.parse(Array($0.utf8)) }
        #expect(bye.count == 3 && bye.allSatisfy { $0["NTS"] == "ssdp:byebye" && $0["LOCATION"] == nil })
    }

    @Test("RFC 1123 dates for the DATE header")
    func httpDate() {
        #expect(SSDP.httpDate(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(SSDP.httpDate(secondsSince1970: 1_796_479_200) == "Sat, 05 Dec 2026 14:00:00 GMT")
        #expect(SSDP.httpDate(secondsSince1970: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test("the UDN is a version-5 UUID of the serial: stable, and different for another serial")
    func rfc4122_4_3_udn() {
        let a = SEMPIdentity.udn(serial: "CK-000001")
        #expect(a == SEMPIdentity.udn(serial: "CK-000001") && a != SEMPIdentity.udn(serial: "CK-000002"))
        let parts = a.split(separator: "-")
        #expect(parts.map(\.count) == [8, 4, 4, 4, 12] && parts[2].hasPrefix("5") && "89ab".contains(parts[3].first!))
    }
}
