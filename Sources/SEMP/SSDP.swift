import CivilDate

/// SSDP, the discovery half of UPnP, as the Sunny Home Manager uses it to find SEMP gateways.
///
/// Source: UPnP Forum, "UPnP Device Architecture 1.0" (2008-04-24), §1 Discovery: §1.1.2 `NOTIFY` with
/// `NTS: ssdp:alive`, §1.1.3 `ssdp:byebye`, §1.2.2 `M-SEARCH` (MAN `"ssdp:discover"`, MX, ST), §1.2.3 the unicast
/// `HTTP/1.1 200 OK` answer; a root device advertises three times: `upnp:rootdevice`, `uuid:<UDN>` and its device type.
/// SEMP's device type is `urn:schemas-simple-energy-management-protocol:device:Gateway:1` (SMA, "SEMP Protocol
/// Specification: Discovery"). Headers are read case-insensitively and with any whitespace around the colon, since
/// managers and libraries differ there; what ChargeKit sends follows the document exactly.
public enum SSDP {
    public static let multicastAddress = "239.255.255.250"
    public static let port = 1900
    public static let sempDeviceType = "urn:schemas-simple-energy-management-protocol:device:Gateway:1"
    /// How long an advertisement is valid, s (`CACHE-CONTROL: max-age`); advertisements are renewed at half of it.
    public static let maxAgeSeconds = 1800
    /// UDA 1.0 §1.2.2: MX above 120 s is treated as 120; ChargeKit answers within at most 5 s (UDA 1.1's cap), so a
    /// manager that asks with a long MX does not wait long.
    public static let maxResponseDelaySeconds = 5

    /// A datagram read as SSDP: the request line and the headers (names upper-cased).
    public struct Message: Sendable, Equatable {
        public var startLine: String
        public var headers: [String: String]
        public subscript(_ name: String) -> String? { headers[name.uppercased()] }
    }

    /// Reads a datagram; nil for anything that is not an HTTP-over-UDP message (at most 4 KiB, ASCII lines).
    public static func parse(_ bytes: [UInt8]) -> Message? {
        guard bytes.count <= 4096, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        guard let first = lines.first, !first.isEmpty else { return nil }
        lines.removeFirst()
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = XMLText.trimmed(String(line[..<colon])).uppercased()
            guard !name.isEmpty, headers[name] == nil else { continue }
            headers[name] = XMLText.trimmed(String(line[line.index(after: colon)...]))
        }
        return Message(startLine: first, headers: headers)
    }

    /// The root device being advertised.
    public struct Device: Sendable, Equatable {
        /// `uuid:…` without the prefix.
        public var uuid: String
        public var deviceType: String
        /// `SERVER` header: "OS/version UPnP/1.0 product/version".
        public var server: String
        public init(uuid: String, deviceType: String = SSDP.sempDeviceType, server: String) {
            self.uuid = uuid; self.deviceType = deviceType; self.server = server
        }

        /// The (NT or ST, USN) pairs of a root device (UDA 1.0 §1.1.2).
        var targets: [(nt: String, usn: String)] {
            [("upnp:rootdevice", "uuid:\(uuid)::upnp:rootdevice"), ("uuid:\(uuid)", "uuid:\(uuid)"), (deviceType, "uuid:\(uuid)::\(deviceType)")]
        }
    }

    /// What a search asks for, when it is one this device answers; nil for anything else (other search targets, a
    /// missing or wrong MAN, a NOTIFY, a response).
    public static func search(_ m: Message, device: Device) -> (targets: [(st: String, usn: String)], mxSeconds: Int)? {
        let parts = m.startLine.split(separator: " ")
        guard parts.count == 3, parts[0] == "M-SEARCH", parts[1] == "*", parts[2].uppercased() == "HTTP/1.1" else { return nil }
        guard let man = m["MAN"], man.replacingQuotes() == "ssdp:discover", let st = m["ST"] else { return nil }
        // UDA 1.0: MX is required for multicast searches; a missing one is answered at once rather than dropped, so
        // that simple managers (and command-line tools) still find the station.
        let mx = m["MX"].flatMap { Int($0) }.map { min(max($0, 0), maxResponseDelaySeconds) } ?? 0
        let targets = device.targets
        switch st {
        case "ssdp:all": return (targets.map { ($0.nt, $0.usn) }, mx)
        default:
            let hits = targets.filter { $0.nt.caseInsensitiveEquals(st) }
            return hits.isEmpty ? nil : (hits.map { ($0.nt, $0.usn) }, mx)
        }
    }

    /// The unicast answers to a search (UDA 1.0 §1.2.3), one per target.
    public static func responses(_ targets: [(st: String, usn: String)], device: Device, location: String, date: String) -> [String] {
        targets.map { t in
            lines(["HTTP/1.1 200 OK", "CACHE-CONTROL: max-age=\(maxAgeSeconds)", "DATE: \(date)", "EXT:", "LOCATION: \(location)",
                   "SERVER: \(device.server)", "ST: \(t.st)", "USN: \(t.usn)"])
        }
    }

    /// The multicast advertisements of the device: `ssdp:alive` (with its location) or `ssdp:byebye`.
    public static func notifications(device: Device, location: String, alive: Bool) -> [String] {
        device.targets.map { t in
            alive
                ? lines(["NOTIFY * HTTP/1.1", "HOST: \(multicastAddress):\(port)", "CACHE-CONTROL: max-age=\(maxAgeSeconds)",
                         "LOCATION: \(location)", "NT: \(t.nt)", "NTS: ssdp:alive", "SERVER: \(device.server)", "USN: \(t.usn)"])
                : lines(["NOTIFY * HTTP/1.1", "HOST: \(multicastAddress):\(port)", "NT: \(t.nt)", "NTS: ssdp:byebye", "USN: \(t.usn)"])
        }
    }

    /// RFC 1123 date of the `DATE` header, e.g. "Sat, 05 Dec 2026 14:00:00 GMT", from seconds since 1970.
    public static func httpDate(secondsSince1970 t: Int64) -> String { CivilDate.internetDate(secondsSince1970: t, zone: "GMT") }

    private static func lines(_ ls: [String]) -> String { ls.joined(separator: "\r\n") + "\r\n\r\n" }
}

extension String {
    fileprivate func replacingQuotes() -> String { String(filter { $0 != "\"" }) }
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
