import V2G

/// The vehicle's end of one V2GTP connection, as the handler and the events name it.
public struct V2GPeer: Hashable, Sendable, CustomStringConvertible {
    /// Counts the connections of one server from 1, so that the log and the events tell two vehicles apart.
    public var connection: UInt64
    /// `fe80::…%eth1`
    public var address: String
    public var port: Int
    /// The connection runs over TLS (the SECC's Plug & Charge server): the contract may be offered.
    public var secure: Bool
    /// The TLS version the handshake agreed ("TLS 1.2", "TLS 1.3"), known from the vehicle's first message on; nil
    /// before and on plain TCP. ISO 15118-20 needs TLS 1.3 ([V2G20-2356]).
    public var tlsVersion: String?

    public init(connection: UInt64, address: String, port: Int, secure: Bool = false, tlsVersion: String? = nil) {
        self.connection = connection; self.address = address; self.port = port; self.secure = secure; self.tlsVersion = tlsVersion
    }

    public var description: String { "[\(address)]:\(port)" }
}

/// What the session handler does with a request.
public enum V2GSessionReply: Sendable {
    /// Send this response; `completesSetup` when it is the SessionSetupRes (it stops
    /// V2G_SECC_CommunicationSetup_Timeout, ISO 15118-2:2014 Table 109).
    case respond(V2GTPFrame, completesSetup: Bool)
    /// Send this response and close the connection: the SessionStopRes, or a response with a FAILED code after
    /// which the session ends.
    case respondAndClose(V2GTPFrame)
    /// Send nothing: the vehicle's own timeout follows (the installer's listen command, which only watches).
    case noResponse
    /// Close the connection without an answer, with the reason for the log.
    case close(reason: String)
}

/// Why a vehicle's connection ended.
public enum V2GCloseReason: Hashable, Sendable, CustomStringConvertible {
    /// The vehicle closed it (or the link went away).
    case peerClosed
    /// The handler asked for it.
    case handler(String)
    /// A V2GTP header the stream cannot continue after (wrong version or inverse, a length over the bound).
    case framing(V2GTPError)
    case timeout(V2GConnectionTimers.Expiry)
    /// The station stopped the server.
    case shutdown

    public var description: String {
        switch self {
        case .peerClosed: "closed by the vehicle"
        case .handler(let reason): reason
        case .framing(let error): "\(error)"
        case .timeout(let expiry): "\(expiry) ran out"
        case .shutdown: "the station stopped the V2G server"
        }
    }
}

/// The seam between the V2GTP server and the SECC's session machines (the next step of issue 27): every complete
/// EXI message of the vehicle, in order, one at a time — the next is handed over only after the reply to the previous
/// one. The handler decodes the EXI payload, drives its machine and returns the encoded response.
public protocol V2GSessionHandler: Sendable {
    /// A vehicle connected (the connector's only one; a second connection meanwhile is refused by the server).
    func sessionOpened(_ peer: V2GPeer) async
    func handle(_ frame: V2GTPFrame, from peer: V2GPeer) async -> V2GSessionReply
    /// The connection ended, for whatever reason; the session's state is to be dropped.
    func sessionClosed(_ peer: V2GPeer, reason: V2GCloseReason) async
}

/// What the servers saw, for the log and the installer's listen command.
public enum V2GTransportEvent: Sendable {
    case listening(interface: String, address: String, tcpPort: UInt16, sdpPort: UInt16)
    /// An SDP request and the answer sent.
    case discovery(from: String, request: SDPRequest, response: SDPResponse)
    /// A datagram on the SDP port that got no answer, and why.
    case discoveryIgnored(from: String, byteCount: Int, head: [UInt8], reason: String)
    case connected(V2GPeer)
    /// A connection refused at once because the connector's vehicle connection is busy.
    case connectionRefused(address: String, port: Int, reason: String)
    /// A complete V2GTP message received.
    case frame(V2GPeer, V2GTPFrame)
    /// A message skipped (a payload type not processed on TCP), and why.
    case frameIgnored(V2GPeer, reason: String)
    case closed(V2GPeer, V2GCloseReason)
}
