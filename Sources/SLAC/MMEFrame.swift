/// The HomePlug AV management message (MME) frame that carries every SLAC message: an Ethernet II header with
/// ethertype 0x88E1, the management message version (MMV 0x01 for HomePlug AV 1.1 / Green PHY), the MMTYPE (little
/// endian; its two low bits are the REQ/CNF/IND/RSP variant) and the fragmentation management information (FMI, two
/// octets, zero for the unfragmented SLAC messages), then the message's entry. HomePlug AV 1.1 §11.1 (MME format);
/// ISO 15118-3:2015 Annex A uses it unchanged for the SLAC messages.
///
/// Decoding is strict: a frame that is too short, longer than an Ethernet frame, of another ethertype or version, of
/// an MMTYPE this target does not know, or with bytes after the message's last field (beyond the padding up to the
/// 60-octet Ethernet minimum) throws a `SLACFrameError` naming the field. Nothing from the wire traps.
public struct MMEFrame: Equatable, Sendable {
    /// Ethertype of HomePlug AV management messages (HomePlug AV 1.1 §11.1.1).
    public static let ethertype: UInt16 = 0x88E1
    /// Management message version of HomePlug AV 1.1 and Green PHY: with it the header carries the two FMI octets.
    public static let version: UInt8 = 0x01
    /// Destination, source, ethertype, MMV, MMTYPE, FMI: 6 + 6 + 2 + 1 + 2 + 2 octets.
    public static let headerLength = 19
    /// Ethernet's minimum frame without the frame check sequence (IEEE 802.3 §3.2.8): shorter frames are padded.
    public static let minimumLength = 60
    /// Ethernet's largest untagged frame without the frame check sequence.
    public static let maximumLength = 1514

    public var destination: MACAddress
    public var source: MACAddress
    /// NF_MI, FN_MI (high and low nibble of the first octet) and FMSN: zero for an unfragmented message.
    public var fragmentInformation: UInt16
    public var message: SLACMessage

    public init(destination: MACAddress, source: MACAddress, message: SLACMessage, fragmentInformation: UInt16 = 0) {
        self.destination = destination; self.source = source; self.message = message; self.fragmentInformation = fragmentInformation
    }

    /// The frame's bytes, zero-padded to the Ethernet minimum.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.put(destination.bytes); w.put(source.bytes)
        w.u16be(Self.ethertype)
        w.u8(Self.version)
        w.u16le(message.mmType.rawValue)
        w.u16le(fragmentInformation)
        message.encodeEntry(into: &w)
        while w.bytes.count < Self.minimumLength { w.u8(0) }
        return w.bytes
    }

    /// Decodes one received Ethernet frame (without the frame check sequence, as a packet socket delivers it).
    public static func decode(_ bytes: [UInt8]) throws(SLACFrameError) -> MMEFrame {
        guard bytes.count <= maximumLength else {
            throw SLACFrameError(field: "frame length", reason: "\(bytes.count) octets, at most \(maximumLength) allowed")
        }
        var r = ByteReader(bytes)
        let destination = MACAddress(trusted: try r.take(6, field: "destination address"))
        let source = MACAddress(trusted: try r.take(6, field: "source address"))
        let type = try r.u16be(field: "ethertype")
        guard type == ethertype else {
            throw SLACFrameError(field: "ethertype", reason: "0x\(hex16(type)), expected 0x88E1")
        }
        let mmv = try r.u8(field: "MMV")
        guard mmv == version else { throw SLACFrameError(field: "MMV", reason: "0x\(hex8(mmv)), expected 0x01") }
        let rawType = try r.u16le(field: "MMTYPE")
        let fmi = try r.u16le(field: "FMI")
        guard fmi == 0 else {
            throw SLACFrameError(field: "FMI", reason: "0x\(hex16(fmi)): fragmented MMEs are not used by SLAC")
        }
        let message = try SLACMessage.decodeEntry(MMType(rawValue: rawType), from: &r)
        let rest = r.remaining
        if rest > 0 && bytes.count > minimumLength {
            throw SLACFrameError(field: "frame length", reason: "\(rest) octets after the \(MMType(rawValue: rawType)) entry")
        }
        return MMEFrame(destination: destination, source: source, message: message, fragmentInformation: fmi)
    }
}

/// A received frame that is not a well-formed SLAC message: which field and why.
public struct SLACFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public init(field: String, reason: String) { self.field = field; self.reason = reason }
    public var description: String { "SLAC frame: \(field): \(reason)" }
}

/// An Ethernet MAC address (6 octets).
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    public static let broadcast = MACAddress(trusted: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    public static let zero = MACAddress(trusted: [0, 0, 0, 0, 0, 0])
    /// The address by which a host reaches its local Qualcomm (QCA7000/7005) powerline modem's management entity,
    /// whatever the modem's own MAC: the HomePlug AV "local management address" 00:B0:52:00:00:01.
    public static let localModem = MACAddress(trusted: [0x00, 0xB0, 0x52, 0x00, 0x00, 0x01])

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    init(trusted bytes: [UInt8]) { self.bytes = bytes }

    /// "aa:bb:cc:dd:ee:ff" (either case, colons or dashes).
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard part.count == 2, let value = UInt8(part, radix: 16) else { return nil }
            out.append(value)
        }
        bytes = out
    }

    public var description: String { bytes.map { hex8($0).lowercased() }.joined(separator: ":") }
}

/// The MMTYPE: the management message's base type and, in its two low bits, its variant (HomePlug AV 1.1 §11.1.6).
public struct MMType: Hashable, Sendable, CustomStringConvertible {
    public enum Variant: UInt16, Sendable { case request = 0, confirm = 1, indication = 2, response = 3 }

    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(base: UInt16, _ variant: Variant) { rawValue = (base & ~0x0003) | variant.rawValue }

    public var base: UInt16 { rawValue & ~0x0003 }
    public var variant: Variant { Variant(rawValue: rawValue & 0x0003)! }

    // Base types (ISO 15118-3:2015 Annex A; CM_SET_KEY from HomePlug AV 1.1 §11.5.4).
    public static let setKey: UInt16 = 0x6008
    public static let slacParm: UInt16 = 0x6064
    public static let startAttenChar: UInt16 = 0x6068
    public static let attenChar: UInt16 = 0x606C
    public static let mnbcSound: UInt16 = 0x6074
    public static let validate: UInt16 = 0x6078
    public static let slacMatch: UInt16 = 0x607C
    public static let attenProfile: UInt16 = 0x6084

    public var description: String {
        let names: [UInt16: String] = [
            Self.setKey: "CM_SET_KEY", Self.slacParm: "CM_SLAC_PARM", Self.startAttenChar: "CM_START_ATTEN_CHAR",
            Self.attenChar: "CM_ATTEN_CHAR", Self.mnbcSound: "CM_MNBC_SOUND", Self.validate: "CM_VALIDATE",
            Self.slacMatch: "CM_SLAC_MATCH", Self.attenProfile: "CM_ATTEN_PROFILE",
        ]
        let suffix = ["REQ", "CNF", "IND", "RSP"][Int(variant.rawValue)]
        if let name = names[base] { return "\(name).\(suffix)" }
        return "MMTYPE 0x\(hex16(rawValue))"
    }
}

func hex8(_ v: UInt8) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

func hex16(_ v: UInt16) -> String { hex8(UInt8(v >> 8)) + hex8(UInt8(v & 0xFF)) }

/// Bounds-checked reading of a received frame; every shortfall names the field.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int, field: String) throws(SLACFrameError) -> [UInt8] {
        guard remaining >= count else {
            throw SLACFrameError(field: field, reason: "frame ends after \(remaining) of \(count) octets")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func u8(field: String) throws(SLACFrameError) -> UInt8 { try take(1, field: field)[0] }

    mutating func u16le(field: String) throws(SLACFrameError) -> UInt16 {
        let b = try take(2, field: field)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    mutating func u16be(field: String) throws(SLACFrameError) -> UInt16 {
        let b = try take(2, field: field)
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func u32le(field: String) throws(SLACFrameError) -> UInt32 {
        let b = try take(4, field: field)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    mutating func mac(field: String) throws(SLACFrameError) -> MACAddress { MACAddress(trusted: try take(6, field: field)) }
}

struct ByteWriter {
    private(set) var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16le(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u16be(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32le(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xFF)) } }
    mutating func put(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: [UInt8](repeating: 0, count: n)) }
}
