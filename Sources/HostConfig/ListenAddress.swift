/// Where a listener of the station or the gateway binds (issue 23 item 7: "every listener binds to an interface chosen
/// by a parameter"): an IP address of the machine (`192.168.1.20`, `::1`; `0.0.0.0` or `::` for all of them) or the name
/// of a network interface (`eth0`), which is resolved to the interface's address when the listener starts — its first
/// IPv4 address, else its first IPv6 address that is not link-local — so that a DHCP address need not be typed in.
/// Pure: the parse and the choice; the machine's interfaces are HostServices' (`InterfaceAddresses`).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case address(IPAddress)
    case interface(String)

    /// Linux's interface names: at most 15 bytes (IFNAMSIZ 16 with the terminating zero), no `/`, no white space;
    /// accepted here are letters, digits and `_ - .` (eth0, enp3s0, wlan0, br-lan, eth0.100).
    static let interfaceCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")

    public init?(_ text: String) {
        if let ip = IPAddress(text) {
            self = .address(ip)
        } else if (1...15).contains(text.utf8.count), text.allSatisfy(Self.interfaceCharacters.contains),
                  text.contains(where: \.isLetter), text != ".", text != ".." {
            self = .interface(text)
        } else {
            return nil
        }
    }

    /// What is wrong with `text` as a listen address (a form's or a command line's message), or nil.
    public static func problem(_ text: String) -> String? {
        ListenAddress(text) == nil
            ? "an IP address of this machine (0.0.0.0 or :: for all) or a network interface name such as eth0 (at most 15 letters, digits, _ - .)"
            : nil
    }

    public var description: String {
        switch self {
        case .address(let ip): ip.description
        case .interface(let name): name
        }
    }

    /// The address to bind among an interface's addresses (as the system lists them): its first IPv4 address, else its
    /// first IPv6 address that is not link-local (fe80::/10 needs a zone index a listener cannot carry); nil: none.
    public static func choose(from addresses: [IPAddress]) -> IPAddress? {
        addresses.first(where: \.isV4) ?? addresses.first { a in
            guard case .v6(let b) = a else { return false }
            return !(b[0] == 0xFE && b[1] & 0xC0 == 0x80)
        }
    }
}
