import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import ChargePoint
import LoadManagement

/// The Network menu. ChargeKit runs on Linux, where the operating system configures the interfaces (DHCP, static
/// addresses, GSM modems), so this page shows what the station sees — its interfaces with their addresses — and the
/// ports it serves and uses, each linked to the menu where it is set.
extension WebInterface {
    struct NetworkInterface {
        var name: String
        var addresses: [String]
        var up: Bool
    }

    /// The machine's interfaces with their IPv4 and IPv6 addresses (getifaddrs), loopback last.
    static func networkInterfaces() -> [NetworkInterface] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var byName: [String: NetworkInterface] = [:]
        var order: [String] = []
        var cursor = first
        while let ifa = cursor {
            defer { cursor = ifa.pointee.ifa_next }
            let name = String(cString: ifa.pointee.ifa_name)
            if byName[name] == nil {
                order.append(name)
                byName[name] = NetworkInterface(name: name, addresses: [], up: ifa.pointee.ifa_flags & UInt32(IFF_UP) != 0)
            }
            guard let sa = ifa.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(sa, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            byName[name]?.addresses.append(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return order.compactMap { byName[$0] }.sorted { ($0.name == "lo" ? 1 : 0, $0.name) < ($1.name == "lo" ? 1 : 0, $1.name) }
    }

    /// The Network page's cards above its parameters.
    struct NetworkCards {
        struct Interface {
            var name: String
            /// Its addresses, comma-separated.
            var addresses: String
            var state: String
        }

        /// A port or address the station serves or uses, linked to the menu where it is set.
        struct Endpoint {
            var label: String
            var value: String
            var href: String
        }

        var interfaces: [Interface]
        var endpoints: [Endpoint]
    }

    /// The Network page's cards: interfaces and the station's network endpoints (from the parameters).
    func networkCards(_ views: [ParameterView], t: [String: String]) -> NetworkCards {
        func value<V>(_ key: ParameterKey<V>) -> String { views[key].map { key.codec.encode($0).description } ?? "" }
        let off = t["form.off"] ?? "Off"
        let modbus = views[.modbusServer] == true
            ? (t["net.modbusPorts"] ?? "").replacing("%p", with: value(.modbusBasePort)) : off
        let dlm = (views[.dlmMode] ?? .off) == .off ? off
            : (t["net.dlmPorts"] ?? "").replacing("%l", with: value(.dlmLinkPort))
                .replacing("%d", with: value(.dlmDiscoveryPort))
        let backend = views[.backendURL] ?? ""
        let mqttHost = views[.mqttBrokerHost] ?? ""
        let mqtt = views[.mqttEnabled] == true && !mqttHost.isEmpty
            ? "\(views[.mqttTLS] == true ? "mqtts" : "mqtt")://\(mqttHost):\(value(.mqttBrokerPort))" : off
        return NetworkCards(
            interfaces: Self.networkInterfaces().map { i in
                .init(name: i.name, addresses: i.addresses.joined(separator: ", "), state: i.up ? t["net.up"] ?? "" : t["net.down"] ?? "")
            },
            endpoints: [
                .init(label: t["net.backend"] ?? "", value: backend.isEmpty ? off : backend, href: "/menu/backend"),
                .init(label: t["net.modbus"] ?? "", value: modbus, href: "/menu/load-management#s-modbus"),
                .init(label: t["net.dlm"] ?? "", value: dlm, href: "/menu/load-management#s-dynamic-load-management"),
                .init(label: t["net.mqtt"] ?? "", value: mqtt, href: "/menu/network#s-mqtt"),
            ])
    }
}
