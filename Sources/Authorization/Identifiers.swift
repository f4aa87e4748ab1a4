#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// How RFID UIDs are written: letter case and byte order.
///
/// - SeeAlso: seeds/004 §5.3 "RFID Tag letter case" (Lower Case `0a0e9b83`, Upper Case `0A0E9B83`,
///   Lower Case Reversed Byte Order `839b0e0a`, Upper Case Reversed Byte Order `839B0E0A`).
public enum RFIDLetterCase: String, Sendable, Codable, CaseIterable {
    case lower
    case upper
    case lowerReversed
    case upperReversed

    /// The label of the seed.
    public var label: String {
        switch self {
        case .lower: "Lower Case"
        case .upper: "Upper Case"
        case .lowerReversed: "Lower Case Reversed Byte Order"
        case .upperReversed: "Upper Case Reversed Byte Order"
        }
    }

    /// The identifier of a UID as the station uses it everywhere: reader events, matching, the idTag
    /// sent to a backend.
    public func format(_ uid: [UInt8]) -> String {
        let bytes = (self == .lowerReversed || self == .upperReversed) ? uid.reversed() : uid
        let digits: [Character] = Array(self == .upper || self == .upperReversed ? "0123456789ABCDEF" : "0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0x0F)])
        }
        return s
    }
}

/// Identifier comparison as OCPP 1.6 defines it for IdToken: case-insensitive.
public func sameIdentifier(_ a: String, _ b: String) -> Bool {
    a.count == b.count && a.lowercased() == b.lowercased()
}

/// The special whitelist identifier that authorizes by the digital input (seeds/000, seeds/004 §5.5).
public let inputAuthIdentifier = "INPUT_AUTH"

/// A vehicle's EVCCID as Autocharge uses it: the MAC address of the vehicle's communication controller, which
/// ISO 15118-2:2014 §8.4.3.2.2 (SessionSetupReq, `EVCCID`, hexBinary of 6 bytes) and DIN SPEC 70121 carry, and which a
/// board that speaks ISO 15118 itself reports.
///
/// Two forms: the MAC address with colons, as the local whitelist holds it (seeds/000 "Eintrag hinzufügen": "gültige
/// MAC-Adresse"), and the idTag that goes to the backend — the seed's "Prefix für EVCCID oder MAC-Adresse für die OCPP
/// Autorisierung" followed by the twelve hexadecimal digits in upper case (the form OCPP backends and OCMF use).
public struct VehicleIdentifier: Sendable, Equatable {
    /// The six bytes.
    public let bytes: [UInt8]

    /// Reads `00:1A:2B:3C:4D:5E`, `00-1a-…` or twelve hexadecimal digits; nil for anything else.
    public init?(_ text: String) {
        let groups = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        let hex = groups.joined()
        guard hex.count == 12, groups.count == 1 || (groups.count == 6 && groups.allSatisfy { $0.count == 2 }),
              let bytes = hexBytes(String(hex)) else { return nil }
        self.bytes = bytes
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// `00:1A:2B:3C:4D:5E`: the local whitelist's form.
    public var macAddress: String { bytes.map { RFIDLetterCase.upper.format([$0]) }.joined(separator: ":") }

    /// `001A2B3C4D5E`.
    public var hex: String { RFIDLetterCase.upper.format(bytes) }

    /// The idTag sent to the backend: `prefix` then ``hex``.
    public func idTag(prefix: String) -> String { prefix + hex }

    /// The longest prefix that keeps the idTag within OCPP 1.6's IdToken (CiString20Type): 20 − 12 characters.
    public static let maximumPrefixLength = 8
}
