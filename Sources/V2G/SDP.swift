/// The SECC Discovery Protocol (ISO 15118-2:2014 §7.10.1; the same messages in ISO 15118-20:2022 §7.10.1 and DIN
/// SPEC 70121:2014-12): the vehicle multicasts a request to ff02::1 port 15118 ([V2G2-139]) saying whether it
/// wants TLS and which transport; the station answers the sender with the IPv6 address and port of its V2G server,
/// the security it will use there and the transport. The vehicle repeats an unanswered request (at least 250 ms
/// apart, [V2G2-159]; at most 50 times, [V2G2-161]), so a request that cannot be answered is simply not answered.
public enum SDP {}

/// The SDP "Security" byte (ISO 15118-2:2014 §7.10.1).
public enum SDPSecurity: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Secured with TLS.
    case tls = 0x00
    /// No transport layer security.
    case none = 0x10

    public var description: String { self == .tls ? "tls" : "none" }
}

/// The SDP "Transport Protocol" byte (ISO 15118-2:2014 §7.10.1). UDP is a defined value, but every V2G
/// message after discovery travels over TCP (§7.7), so a station's server is always TCP.
public enum SDPTransport: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case tcp = 0x00
    case udp = 0x10

    public var description: String { self == .tcp ? "tcp" : "udp" }
}

/// SECCDiscoveryReq: payload type 0x9000, 2 bytes (security, transport).
public struct SDPRequest: Hashable, Sendable {
    public static let payloadByteCount = 2
    public var security: SDPSecurity
    public var transport: SDPTransport

    public init(security: SDPSecurity, transport: SDPTransport) {
        self.security = security; self.transport = transport
    }

    public var datagram: [UInt8] { V2GTPFrame(payloadType: .sdpRequest, payload: [security.rawValue, transport.rawValue]).bytes }

    /// Reads a whole UDP datagram: the V2GTP header (checked as on TCP), payload type 0x9000, exactly 2 payload
    /// bytes (the header's length must match the datagram), and defined values for both fields.
    public static func parse(datagram: [UInt8]) -> Result<SDPRequest, SDPRefusal> {
        guard datagram.count >= V2GTPHeader.byteCount else {
            return .failure(.init("SDP request: \(datagram.count) bytes, a V2GTP message has at least 8"))
        }
        let header: V2GTPHeader
        switch V2GTPHeader.parse(datagram, accepted: [.sdpRequest], maximumPayloadBytes: payloadByteCount) {
        case .success(let h): header = h
        case .failure(.payloadType(let t, _)) where t == .sdpRequestWireless:
            return .failure(.init("SDP request: payload type \(t) is ISO 15118-20's wireless discovery, not served by a conductive station"))
        case .failure(let e): return .failure(.init("SDP request: \(e)"))
        }
        guard header.payloadLength == payloadByteCount, datagram.count == V2GTPHeader.byteCount + payloadByteCount else {
            return .failure(.init("SDP request: payload length \(header.payloadLength) in a datagram of \(datagram.count) bytes, "
                                  + "allowed exactly 2 (10-byte datagram)"))
        }
        guard let security = SDPSecurity(rawValue: datagram[8]) else {
            return .failure(.init("SDP request: security 0x\(hex(datagram[8])), allowed 0x00 (TLS) or 0x10 (none)"))
        }
        guard let transport = SDPTransport(rawValue: datagram[9]) else {
            return .failure(.init("SDP request: transport 0x\(hex(datagram[9])), allowed 0x00 (TCP) or 0x10 (UDP)"))
        }
        return .success(SDPRequest(security: security, transport: transport))
    }
}

/// SECCDiscoveryRes: payload type 0x9001, 20 bytes — the SECC's IPv6 address (16), port (2, big-endian), security,
/// transport.
public struct SDPResponse: Hashable, Sendable {
    public static let payloadByteCount = 20
    /// The 16 bytes of the server's IPv6 address (its link-local address on the PLC interface).
    public var address: [UInt8]
    public var port: UInt16
    public var security: SDPSecurity
    public var transport: SDPTransport

    public init(address: [UInt8], port: UInt16, security: SDPSecurity, transport: SDPTransport) {
        precondition(address.count == 16, "an IPv6 address has 16 bytes")
        self.address = address; self.port = port; self.security = security; self.transport = transport
    }

    public var payload: [UInt8] { address + [UInt8(port >> 8), UInt8(port & 0xFF), security.rawValue, transport.rawValue] }
    public var datagram: [UInt8] { V2GTPFrame(payloadType: .sdpResponse, payload: payload).bytes }

    /// Reads a response datagram (the vehicle's side; the tests' and the installer command's check of an answer).
    public static func parse(datagram: [UInt8]) -> Result<SDPResponse, SDPRefusal> {
        guard datagram.count == V2GTPHeader.byteCount + payloadByteCount else {
            return .failure(.init("SDP response: \(datagram.count) bytes, allowed exactly 28"))
        }
        switch V2GTPHeader.parse(datagram, accepted: [.sdpResponse], maximumPayloadBytes: payloadByteCount) {
        case .success(let h) where h.payloadLength == payloadByteCount: break
        case .success(let h): return .failure(.init("SDP response: payload length \(h.payloadLength), allowed exactly 20"))
        case .failure(let e): return .failure(.init("SDP response: \(e)"))
        }
        let p = Array(datagram[8...])
        guard let security = SDPSecurity(rawValue: p[18]), let transport = SDPTransport(rawValue: p[19]) else {
            return .failure(.init("SDP response: security 0x\(hex(p[18])) / transport 0x\(hex(p[19])), allowed 0x00 or 0x10 each"))
        }
        return .success(SDPResponse(address: Array(p[0..<16]), port: UInt16(p[16]) << 8 | UInt16(p[17]), security: security, transport: transport))
    }
}

/// Why a datagram got no answer; names the field and what is allowed.
public struct SDPRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The V2G servers the station runs on one connector's PLC interface, as SDP announces them.
public struct SDPOffer: Hashable, Sendable {
    /// The link-local IPv6 address (16 bytes) both servers listen on.
    public var address: [UInt8]
    /// The plain TCP server's port; always there (EIM needs no TLS).
    public var tcpPort: UInt16
    /// The TLS server's port, only when Plug & Charge is configured (a TLS server needs the SECC certificate and
    /// its chain, ISO 15118-2:2014 §7.7.3); `nil` otherwise.
    public var tlsPort: UInt16?

    public init(address: [UInt8], tcpPort: UInt16, tlsPort: UInt16? = nil) {
        precondition(address.count == 16, "an IPv6 address has 16 bytes")
        self.address = address; self.tcpPort = tcpPort; self.tlsPort = tlsPort
    }
}

public extension SDP {
    /// The station's answer to a request (ISO 15118-2:2014 §7.10.1): the security the vehicle asked for when the
    /// station offers it, else the one it has. A request for TLS at a station without TLS is answered with
    /// security 0x10 and the TCP port, so that the vehicle decides: continue without TLS (EIM) or repeat and give up,
    /// charging by PWM. A vehicle asking for no TLS at a station that also has TLS gets the TCP server: the station
    /// never forces TLS (ISO 15118-2's Plug & Charge is the vehicle's choice). The transport is always TCP.
    static func response(to request: SDPRequest, offer: SDPOffer) -> SDPResponse {
        if request.security == .tls, let tlsPort = offer.tlsPort {
            return SDPResponse(address: offer.address, port: tlsPort, security: .tls, transport: .tcp)
        }
        return SDPResponse(address: offer.address, port: offer.tcpPort, security: .none, transport: .tcp)
    }

    /// A received datagram and what to do with it: the request and the answer to send back to its sender, or why it
    /// is ignored (a malformed or foreign datagram gets no answer; the vehicle repeats its request, [V2G2-159]).
    static func answer(datagram: [UInt8], offer: SDPOffer) -> Result<(request: SDPRequest, response: SDPResponse), SDPRefusal> {
        SDPRequest.parse(datagram: datagram).map { (request: $0, response: response(to: $0, offer: offer)) }
    }
}

private func hex(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }
