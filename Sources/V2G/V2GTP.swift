/// The V2G Transfer Protocol's payload type (ISO 15118-2:2014 §7.8.3.1 Table 10; ISO 15118-20:2022 §7.8.3.1
/// Table 14; DIN SPEC 70121:2014-12 §8.7.3.1 Table 16): two bytes that say how the payload is to be decoded.
///
/// 0x8001 carries every EXI message of ISO 15118-2 and DIN SPEC 70121, and in ISO 15118-20 the
/// supportedAppProtocol handshake (SAP) that picks the protocol; ISO 15118-20 gives its own message sets types of
/// their own (0x8002 common messages … 0x8006 WPT) and side streams (0x8101–0x8104). 0xA000–0xFFFF are left to
/// manufacturers ("uniqueness not guaranteed") and the rest is reserved: both are unknown here.
public struct V2GTPPayloadType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// EXI-encoded V2G message: ISO 15118-2, DIN SPEC 70121 and the SAP handshake (ISO 15118-20: SAPPayloadID).
    public static let exi = V2GTPPayloadType(rawValue: 0x8001)
    /// ISO 15118-20 MainstreamPayloadID: the common messages (`urn:iso:std:iso:15118:-20:CommonMessages`).
    public static let iso20Mainstream = V2GTPPayloadType(rawValue: 0x8002)
    /// ISO 15118-20 AC_MainstreamPayloadID.
    public static let iso20AC = V2GTPPayloadType(rawValue: 0x8003)
    /// ISO 15118-20 DC_MainstreamPayloadID.
    public static let iso20DC = V2GTPPayloadType(rawValue: 0x8004)
    /// ISO 15118-20 ACDP_MainstreamPayloadID (automated connection device, pantograph).
    public static let iso20ACDP = V2GTPPayloadType(rawValue: 0x8005)
    /// ISO 15118-20 WPT_MainstreamPayloadID (wireless power transfer).
    public static let iso20WPT = V2GTPPayloadType(rawValue: 0x8006)
    /// ISO 15118-20 side streams: ScheduleRenegotiation, MeteringConfirmation, ACDP_SystemStatus, ParkingStatus.
    public static let iso20ScheduleRenegotiation = V2GTPPayloadType(rawValue: 0x8101)
    public static let iso20MeteringConfirmation = V2GTPPayloadType(rawValue: 0x8102)
    public static let iso20ACDPSystemStatus = V2GTPPayloadType(rawValue: 0x8103)
    public static let iso20ParkingStatus = V2GTPPayloadType(rawValue: 0x8104)
    /// SECC Discovery Protocol request and response (ISO 15118-2:2014 §7.10.1; the same in ISO 15118-20 and DIN).
    public static let sdpRequest = V2GTPPayloadType(rawValue: 0x9000)
    public static let sdpResponse = V2GTPPayloadType(rawValue: 0x9001)
    /// ISO 15118-20's SDP extension for wireless communication (§7.10.1.8/9: ACDP, WPT), which carries more than
    /// security and transport; a conductive station does not serve it.
    public static let sdpRequestWireless = V2GTPPayloadType(rawValue: 0x9002)
    public static let sdpResponseWireless = V2GTPPayloadType(rawValue: 0x9003)

    /// Every payload type the standards define, with its identifier's name (ISO 15118-20 Table 14's "…PayloadID").
    public static let known: [V2GTPPayloadType: String] = [
        .exi: "EXI", .iso20Mainstream: "Mainstream", .iso20AC: "AC_Mainstream", .iso20DC: "DC_Mainstream",
        .iso20ACDP: "ACDP_Mainstream", .iso20WPT: "WPT_Mainstream", .iso20ScheduleRenegotiation: "ScheduleRenegotiation",
        .iso20MeteringConfirmation: "MeteringConfirmation", .iso20ACDPSystemStatus: "ACDP_SystemStatus",
        .iso20ParkingStatus: "ParkingStatus", .sdpRequest: "SDPRequest", .sdpResponse: "SDPResponse",
        .sdpRequestWireless: "SDPRequestWireless", .sdpResponseWireless: "SDPResponseWireless",
    ]

    /// The payload types a vehicle sends on the TCP (or TLS) connection: the EXI messages of every protocol
    /// (ISO 15118-20 [V2G20-1229]: 0x8001 up to 0x8FFF are EXI-encoded V2G messages). SDP travels by UDP only.
    public static let tcp: Set<V2GTPPayloadType> = [
        .exi, .iso20Mainstream, .iso20AC, .iso20DC, .iso20ACDP, .iso20WPT, .iso20ScheduleRenegotiation,
        .iso20MeteringConfirmation, .iso20ACDPSystemStatus, .iso20ParkingStatus,
    ]

    /// "0x8001" — how logs, the installer command and the tests write it.
    public var hex: String {
        let digits = String(rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    public var description: String { Self.known[self].map { "\(hex) (\($0))" } ?? "\(hex) (unknown)" }
}

/// The 8-byte V2GTP header (ISO 15118-2:2014 §7.8.3.1): protocol version 0x01, its bitwise inverse 0xFE, the payload
/// type and the payload's length in bytes, both big-endian ([V2G2-085]; ISO 15118-20 [V2G20-085]).
public struct V2GTPHeader: Hashable, Sendable {
    public static let byteCount = 8
    /// V2GTP version 1, the only one defined (ISO 15118-2 Table 9; ISO 15118-20 Table 13: 0x02–0xFF reserved).
    public static let protocolVersion: UInt8 = 0x01
    public static let inverseProtocolVersion: UInt8 = 0xFE

    public var payloadType: V2GTPPayloadType
    public var payloadLength: UInt32

    public init(payloadType: V2GTPPayloadType, payloadLength: UInt32) {
        self.payloadType = payloadType; self.payloadLength = payloadLength
    }

    public var bytes: [UInt8] {
        let t = payloadType.rawValue, n = payloadLength
        return [Self.protocolVersion, Self.inverseProtocolVersion, UInt8(t >> 8), UInt8(t & 0xFF),
                UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    /// Reads a header from its first 8 bytes, checking the fields in the order the standard processes them
    /// (ISO 15118-20 §7.8.3.2 [V2G20-090], [V2G20-092], [V2G20-094]): the synchronisation pattern first, then the payload type
    /// against `accepted`, then the length against `maximumPayloadBytes`. `bytes` must hold at least 8.
    public static func parse(_ bytes: some Collection<UInt8>, accepted: Set<V2GTPPayloadType>,
                             maximumPayloadBytes: Int) -> Result<V2GTPHeader, V2GTPError> {
        precondition(bytes.count >= byteCount, "a V2GTP header has 8 bytes")
        let b = Array(bytes.prefix(byteCount))
        guard b[0] == protocolVersion, b[1] == inverseProtocolVersion else {
            return .failure(.version(version: b[0], inverse: b[1]))
        }
        let type = V2GTPPayloadType(rawValue: UInt16(b[2]) << 8 | UInt16(b[3]))
        let length = UInt32(b[4]) << 24 | UInt32(b[5]) << 16 | UInt32(b[6]) << 8 | UInt32(b[7])
        guard accepted.contains(type) else { return .failure(.payloadType(type, length: length)) }
        guard UInt64(length) <= UInt64(maximumPayloadBytes) else {
            return .failure(.payloadLength(length, type: type, maximum: maximumPayloadBytes))
        }
        return .success(V2GTPHeader(payloadType: type, payloadLength: length))
    }
}

/// One V2GTP message: its payload type and payload (without the header).
public struct V2GTPFrame: Hashable, Sendable {
    public var payloadType: V2GTPPayloadType
    public var payload: [UInt8]

    public init(payloadType: V2GTPPayloadType, payload: [UInt8]) {
        self.payloadType = payloadType; self.payload = payload
    }

    /// Header and payload, ready for the socket (ISO 15118-20 [V2G20-1229]: one V2GTP message per V2G message).
    public var bytes: [UInt8] {
        V2GTPHeader(payloadType: payloadType, payloadLength: UInt32(payload.count)).bytes + payload
    }
}

/// What is wrong with a received V2GTP header. Each names the field and what is allowed; the station logs it and
/// reacts as ``V2GTPFrameDecoder`` says.
public enum V2GTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Protocol version or its inverse is not 0x01/0xFE: not a V2GTP message of a version this station speaks.
    case version(version: UInt8, inverse: UInt8)
    /// A payload type this endpoint does not process (unknown, reserved, manufacturer-specific, or not carried here).
    case payloadType(V2GTPPayloadType, length: UInt32)
    /// A payload longer than this endpoint's buffer.
    case payloadLength(UInt32, type: V2GTPPayloadType, maximum: Int)

    public var description: String {
        switch self {
        case .version(let v, let i):
            "V2GTP header: protocol version 0x\(hex(v)) / inverse 0x\(hex(i)), allowed 0x01 / 0xFE"
        case .payloadType(let t, let length):
            "V2GTP header: payload type \(t) (length \(length)) is not processed here"
        case .payloadLength(let n, let t, let maximum):
            "V2GTP header: payload length \(n) bytes of payload type \(t.hex), allowed 0...\(maximum)"
        }
    }

    private func hex(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
}

public extension V2G {
    /// The UDP port of the SECC Discovery Protocol (ISO 15118-2:2014 §7.10.1, Table 15 "V2G_UDP_SDP_SERVER").
    static let sdpPort: UInt16 = 15118
    /// The link-local all-nodes group a vehicle sends its SDP request to ([V2G2-139], IETF RFC 4291).
    static let sdpMulticastAddress = "ff02::1"
    /// The range the SECC's TCP (or TLS) server port is taken from (ISO 15118-2:2014 Table 15: dynamic ports of
    /// IETF RFC 6335, 49152–65535).
    static let dynamicPorts: ClosedRange<UInt16> = 49152...65535
    /// The largest V2GTP payload this station buffers on its TCP connection. The standards allow 0…4294967295 bytes
    /// (ISO 15118-2 Table 9); the station's own bound is far above ISO 15118-2's and DIN's largest message (the
    /// CertificateInstallationRes: two certificate chains, whose schema bounds each certificate at 800 bytes, and an
    /// encrypted key — a few kilobytes) and keeps a hostile length from reserving memory.
    static let maximumPayloadBytes = 65_536
}
