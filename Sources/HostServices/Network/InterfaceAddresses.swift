#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import HostConfig

/// Resolves a listener's ``HostConfig/ListenAddress`` on this machine when the listener starts (issue 23 item 7): an
/// address is bound as it is; an interface name becomes the address ``HostConfig/ListenAddress/choose(from:)`` picks
/// from the interface's current addresses (getifaddrs). An unknown interface, or one without a usable address, is a
/// start-up error that names the interface, the setting and the interfaces there are.
public enum InterfaceAddresses {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The host text to bind for `address`; `setting` names the parameter or option it came from.
    public static func bindHost(_ address: ListenAddress, setting: String) throws -> String {
        guard case .interface(let name) = address else { return address.description }
        let all = list()
        guard let addresses = all.first(where: { $0.name == name })?.addresses else {
            throw Failure(description: "\(setting): there is no network interface '\(name)' on this machine (interfaces: "
                          + all.map(\.name).joined(separator: ", ") + ")")
        }
        guard let chosen = ListenAddress.choose(from: addresses) else {
            throw Failure(description: "\(setting): the network interface '\(name)' has no IPv4 or global IPv6 address (is it up and configured?)")
        }
        return chosen.description
    }

    /// The machine's interfaces in the system's order, each with its IPv4 and IPv6 addresses.
    public static func list() -> [(name: String, addresses: [IPAddress])] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var result: [(name: String, addresses: [IPAddress])] = []
        var cursor = first
        while let ifa = cursor {
            defer { cursor = ifa.pointee.ifa_next }
            let name = String(cString: ifa.pointee.ifa_name)
            if !result.contains(where: { $0.name == name }) { result.append((name, [])) }
            guard let sa = ifa.pointee.ifa_addr else { continue }
            let family = Int32(sa.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(sa, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            // A link-local IPv6 address comes with its zone ("fe80::1%eth0"), which IPAddress does not parse: choose()
            // skips those anyway.
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let ip = IPAddress(text), let i = result.firstIndex(where: { $0.name == name }) { result[i].addresses.append(ip) }
        }
        return result
    }
}
