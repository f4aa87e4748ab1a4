#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The security profile of the gateway's charger listener (OCPP 1.6 security whitepaper ed. 3 §2.1): exactly one is in
/// use at a time (A00.FR.001), for every charger.
public enum ChargerSecurityProfile: Int, Sendable, CaseIterable {
    /// No charger authentication (what seeds/003 describes): ws, or wss with the gateway's certificate.
    case none = 0
    /// HTTP Basic with the charger's password over plain ws (trusted networks only).
    case basic = 1
    /// TLS (the gateway's certificate) with HTTP Basic.
    case tlsBasic = 2
    /// TLS with a client certificate chained to the configured CA; no Basic.
    case tlsClientCertificate = 3

    public var label: String {
        switch self {
        case .none: "0: none"
        case .basic: "1: Basic (ws)"
        case .tlsBasic: "2: TLS + Basic"
        case .tlsClientCertificate: "3: TLS + client certificate"
        }
    }

    /// The charger proves itself with its password.
    public var usesPassword: Bool { self == .basic || self == .tlsBasic }
}

/// What a charger presented to open its WebSocket: its HTTP Basic credentials and, over TLS, its client certificate
/// chain (DER, leaf first). The transport hands them over as received; ``ChargerAdmission`` decides.
public struct PresentedCredentials: Sendable, Equatable {
    /// The `Authorization` header's value, nil when there is none.
    public var authorization: String?
    /// The client certificate chain as DER, leaf first; empty when none was sent (or no TLS).
    public var clientCertificates: [[UInt8]]

    public init(authorization: String? = nil, clientCertificates: [[UInt8]] = []) {
        self.authorization = authorization; self.clientCertificates = clientCertificates
    }
}

/// HTTP Basic credentials (RFC 7617) as chargers send them on profiles 1 and 2: user = the ChargerID of the URL,
/// password = the AuthorizationKey (OCPP 1.6 security whitepaper ed. 3 A00.FR.202–205).
public struct BasicCredentials: Sendable, Equatable {
    public var user: String
    /// The password's bytes: chargers that decode a hex AuthorizationKey send bytes that need not be text.
    public var password: [UInt8]

    /// Parses an `Authorization` header value; nil when it is no well-formed Basic header (at most 1 kB).
    public init?(header: String) {
        guard header.utf8.count <= 1024 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: GatewaySettingField.trimmed(String(parts[1]))) else { return nil }
        let bytes = [UInt8](data)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), let user = String(validating: bytes[..<colon], as: UTF8.self) else { return nil }
        self.user = user
        password = Array(bytes[(colon + 1)...])
    }
}

/// The form in which a charger's password is hashed and compared. The whitepaper's AuthorizationKey is 16–20 bytes,
/// configured as up to 40 hex digits (A00.FR.203/204), and chargers disagree whether they send the hex text or the
/// decoded bytes (OCTT TC_085's wording: a 32–40-digit hex key is decoded, a 16–20-character key is sent verbatim). So a
/// password of 32–40 hex digits is kept as its lowercase hex text, and a presented password is tried as sent and, when
/// it is 16–20 bytes, as the hex of its bytes.
public enum ChargerPassword {
    /// The shortest password accepted on the web page and the API (the whitepaper's 16 bytes, A00.FR.203).
    public static let minimumLength = 16
    /// The longest: 40 hex digits (A00.FR.204), with room for a passphrase.
    public static let maximumLength = 64

    /// Why a password cannot be set, or nil.
    public static func problem(_ password: String) -> String? {
        let n = password.count
        guard (minimumLength...maximumLength).contains(n) else {
            return "a charger password needs \(minimumLength)…\(maximumLength) characters (the whitepaper's AuthorizationKey: 16–20 bytes or 32–40 hex digits); got \(n)"
        }
        if password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "a charger password may not contain control characters" }
        return nil
    }

    /// The text that is hashed for an entered password.
    public static func canonical(_ password: String) -> String { isHexKey(password) ? password.lowercased() : password }

    /// The texts a presented password may be hashed as, the likeliest first.
    public static func candidates(_ presented: [UInt8]) -> [String] {
        var out: [String] = []
        if let text = String(validating: presented, as: UTF8.self) { out.append(canonical(text)) }
        if (16...20).contains(presented.count) {
            let hex = presented.map { let s = String($0, radix: 16); return $0 < 16 ? "0" + s : s }.joined()
            if !out.contains(hex) { out.append(hex) }
        }
        return out
    }

    static func isHexKey(_ s: String) -> Bool {
        (32...40).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
    }
}
