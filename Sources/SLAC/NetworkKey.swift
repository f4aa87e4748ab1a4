import Crypto

/// The network membership key (NMK, 16 octets): whoever holds it joins the logical network (AVLN). The EVSE draws a
/// fresh one for every charging session, sets it on its own modem (CM_SET_KEY.REQ) and hands it to the matched EV in
/// CM_SLAC_MATCH.CNF (ISO 15118-3:2015 §A.9), so an EV of an earlier session cannot rejoin. A secret: its description
/// never shows the key.
public struct NetworkMembershipKey: Equatable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }
    init(trusted: [UInt8]) { bytes = trusted }

    /// A key from `randomBytes` (the adapter passes the system's cryptographic generator; tests a seeded one).
    public static func random(_ randomBytes: (Int) -> [UInt8]) -> NetworkMembershipKey {
        let drawn = Array(randomBytes(16).prefix(16))
        return NetworkMembershipKey(trusted: drawn + [UInt8](repeating: 0, count: 16 - drawn.count))
    }

    public var description: String { "NMK(16 octets, not shown)" }
}

/// The network identifier (NID, 7 octets: 54 bits of key digest and 2 bits of security level).
public struct NetworkID: Equatable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public init?(bytes: [UInt8]) {
        guard bytes.count == 7 else { return nil }
        self.bytes = bytes
    }
    init(trusted: [UInt8]) { bytes = trusted }

    /// The NID of `nmk` by HomePlug AV 1.1 §4.4.3.1: PBKDF1 with P = NMK, no salt, hash SHA-256, c = 5 iterations
    /// (SHA-256 of the NMK, then four times SHA-256 of the digest); its leftmost 52 bits, then the security level in
    /// the two bits above them — octet 6 is the digest's octet 6 shifted right by 4 with the level in bits 4–5. SLAC
    /// uses security level 0 ("simple connect").
    public static func derived(from nmk: NetworkMembershipKey, securityLevel: UInt8 = 0) -> NetworkID {
        var digest = Array(SHA256.hash(data: nmk.bytes))
        for _ in 0..<4 { digest = Array(SHA256.hash(data: digest)) }
        var nid = Array(digest.prefix(7))
        nid[6] = (nid[6] >> 4) | ((securityLevel & 0x03) << 4)
        return NetworkID(trusted: nid)
    }

    public var description: String { bytes.map(hex8).joined() }
}
