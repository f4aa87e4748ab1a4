// The SHIP TXT record (SHIP TS 1.0.1 §7.3.2, ``SHIPServiceInfo``) in DNS-SD's generic TXT pairs, both ways: what the
// station announces and what it reads from a discovered energy manager.

extension DNSSDTXT {
    /// The pairs of a SHIP node's TXT record, in SHIP's order (`txtvers` first). Throws what ``SHIPServiceInfo`` refuses
    /// to announce (an empty id, a path without "/", a string over 255 bytes).
    public init(ship info: SHIPServiceInfo) throws(SHIPServiceInfoError) {
        self.init(strings: try info.txtRecord().map { Array($0.utf8) })
    }

    /// The pairs as TXT strings again (`key=value`, `key` alone for a boolean attribute), without checking them: for
    /// reading a received record with a parser that takes strings.
    public var receivedStrings: [[UInt8]] {
        entries.map { e in Array(e.key.utf8) + (e.value.map { [UInt8(ascii: "=")] + $0 } ?? []) }
    }
}

extension DNSSDDiscoveredService {
    /// The SHIP fields of the service's TXT record; the error names the key that is missing or wrong (a service of
    /// type `_ship._tcp` that is not a SHIP node, or a broken one).
    public func shipServiceInfo() throws(SHIPServiceInfoError) -> SHIPServiceInfo {
        try SHIPServiceInfo(txtRecord: txt.receivedStrings)
    }
}
