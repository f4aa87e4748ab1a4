#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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
