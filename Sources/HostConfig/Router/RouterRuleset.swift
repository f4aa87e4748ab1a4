/// The WAN router's packet filter (seeds/004 §4 "3.2 Gateway Configuratie": "WAN-router: Aan" — the gateway charge
/// point shares its uplink, typically GSM, with the charge points and laptops on its LAN): forwarding from the LAN to
/// the uplink, masqueraded behind the station's uplink address, answers back, and nothing opened from the uplink side.
///
/// The rules live in tables of their own (`inet chargekit`, `ip chargekit_nat`), never in the operating system's: a
/// base chain of its own hooks into forward and postrouting next to whatever else is loaded (nft(8) "CHAINS": several
/// base chains may share a hook; a packet must pass all of them, a drop in any is final). So ChargeKit neither
/// flushes nor edits other rules, and removing its tables removes exactly what it added.
public enum RouterRuleset {
    /// The names of ChargeKit's tables.
    public static let filterTable = "inet chargekit"
    public static let natTable = "ip chargekit_nat"

    /// The script for `nft -f -` that replaces both tables in one transaction (nft(8): a file is applied atomically —
    /// all or nothing). Each table is first declared (a no-op if it exists) and deleted, then created anew: the nftables
    /// wiki's "Atomic rule replacement" idiom, which works whether or not the tables existed (`destroy table` needs
    /// nftables 1.0.8, newer than Debian 12's).
    ///
    /// Forward chain (policy accept, so that it only ever adds restrictions to the OS's own chains):
    /// LAN → uplink accepted; into the LAN only what belongs to a connection the LAN opened (conntrack
    /// established/related); anything else entering the LAN from another interface is dropped.
    /// NAT: what leaves on the uplink from the LAN's network is masqueraded (nftables wiki "Performing Network Address
    /// Translation (NAT)": `masquerade` uses the uplink's current address, which a GSM uplink changes).
    public static func apply(lan: String, uplink: String, network: IPPrefix) -> String {
        """
        table \(filterTable)
        delete table \(filterTable)
        table \(natTable)
        delete table \(natTable)
        table \(filterTable) {
        \tchain forward {
        \t\ttype filter hook forward priority filter; policy accept;
        \t\tiifname "\(lan)" oifname "\(uplink)" accept
        \t\toifname "\(lan)" ct state established,related accept
        \t\toifname "\(lan)" iifname != "\(lan)" drop
        \t}
        }
        table \(natTable) {
        \tchain postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\toifname "\(uplink)" ip saddr \(network) masquerade
        \t}
        }

        """
    }

    /// The script that removes ChargeKit's tables (and only them), whether or not they exist.
    public static let remove = """
        table \(filterTable)
        delete table \(filterTable)
        table \(natTable)
        delete table \(natTable)

        """

    /// Whether an interface name can stand in the ruleset and on dnsmasq's command line unquoted and unescaped: the
    /// kernel's limit of 15 bytes (IFNAMSIZ − 1) and the characters interface names use.
    public static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
