import OCPP16

/// Which end of the WebSocket a SHIP connection is: the client connected out, the server accepted (SHIP TS 1.0.1
/// §13.4: the roles differ in the connection mode initialisation and the protocol handshake only).
public enum SHIPRole: String, Sendable, Equatable { case client, server }

/// The timers a SHIP connection runs; the adapter starts them as told and reports them back as
/// ``SHIPEvent/timerFired(_:)``.
public enum SHIPTimer: String, Sendable, Hashable, CaseIterable {
    /// The connection mode initialisation (§13.4.3, CMI_TIMEOUT).
    case cmi
    /// The wait for the hello phase's end (§13.4.4.1, T_hello_init and its prolongations).
    case hello
    /// When a pending side asks the ready remote to wait longer (§13.4.4.1.3).
    case prolongation
    /// The protocol handshake and the PIN state exchange (§13.4.4.2, §13.4.5).
    case handshake
    /// The wait for the remote's confirmation of our `connectionClose` announcement (§13.4.7).
    case close
}

/// What happens to a SHIP connection.
public enum SHIPEvent: Sendable, Equatable {
    /// The WebSocket is open (TLS and upgrade done): the SHIP handshake starts.
    case opened
    /// One binary WebSocket message arrived.
    case received([UInt8])
    /// A timer started by ``SHIPAction/startTimer(_:after:)`` fired.
    case timerFired(SHIPTimer)
    /// The user's decision about the remote SKI (pair: true; refuse or unpair: false).
    case trust(Bool)
    /// A SPINE datagram (plain JSON form, `{"datagram": …}`) to send.
    case sendDatagram(JSONValue)
    /// The station ends the connection (shutdown, interface switched off).
    case closeRequested(String)
    /// The WebSocket ended under the machine (the peer closed it, the network broke, the ping went unanswered).
    case transportClosed(String)
}

/// Why a SHIP connection ended.
public struct SHIPEnd: Sendable, Equatable, CustomStringConvertible {
    public enum Cause: String, Sendable, Equatable {
        /// Closed by the station (orderly).
        case closed
        /// Closed by the remote (orderly, or its WebSocket ended).
        case closedByRemote
        /// The remote SKI is not trusted: the user refused or distrusted it.
        case untrusted
        /// The remote aborted the hello: it does not trust this station.
        case refusedByRemote
        /// A phase did not finish in its time.
        case timeout
        /// The remote broke the protocol (bad CMI, malformed or unexpected message, version or format mismatch, PIN).
        case protocolError
        /// A message larger than ``SHIPConnectionSettings/maxMessageBytes``.
        case oversize
    }
    public var cause: Cause
    public var reason: String
    public init(_ cause: Cause, _ reason: String) { self.cause = cause; self.reason = reason }
    public var description: String { reason }
}

/// What the adapter must do.
public enum SHIPAction: Sendable, Equatable {
    /// Send these bytes as one binary WebSocket message.
    case send([UInt8])
    /// A SPINE datagram (plain JSON form) for the layer above.
    case deliver(JSONValue)
    case startTimer(SHIPTimer, after: Duration)
    case cancelTimer(SHIPTimer)
    /// Ask the user whether to trust the remote SKI (the connection waits in the hello phase, `pending`).
    case askTrust(SHIPSKI)
    /// The handshake is done: datagrams flow.
    case established
    /// The remote told how it can be reached (its SHIP id).
    case remoteAccessMethods(SHIPAccessMethods)
    /// A datagram was not sent, and why (the connection is not established).
    case sendRefused(String)
    /// Close the WebSocket with this code and reason (the reason is also in ``ended(_:)``).
    case closeWebSocket(code: UInt16, reason: String)
    /// The connection is over; no further actions follow.
    case ended(SHIPEnd)
}

/// The fixed values of SHIP connections.
public struct SHIPConnectionSettings: Sendable, Equatable {
    /// This node's SHIP id, sent in `accessMethods` (the `id` of its DNS-SD TXT record, §13.4.6).
    public var localID: String
    /// The largest message accepted. SPINE datagrams of a charger and an energy manager are a few kB (a full
    /// detailed discovery of a device with dozens of features stays below 64 kB); 256 KiB leaves room for a large
    /// device and keeps what one connection can make the station hold small. SHIP TS 1.0.1 sets no limit of its own.
    public var maxMessageBytes: Int
    /// CMI_TIMEOUT, §13.4.3: 10 s (ChargeKit uses the same value for the protocol handshake and PIN states).
    public var cmiTimeout: Duration
    /// T_hello_init, §13.4.4.1: the wait for both sides to be ready, 60 s (the user's time to decide on trust).
    public var helloInit: Duration
    /// The longest the hello phase lasts whatever the remote's prolongation requests: a connection cannot stay
    /// pending for ever on one of the listener's slots.
    public var helloLimit: Duration
    /// The time of each step of the protocol handshake and of the PIN state exchange (§13.4.4.2: 10 s).
    public var handshakeTimeout: Duration
    /// `maxTime` of our `connectionClose` announcement (§13.4.7): how long we wait for the confirmation.
    public var closeMaxTime: Duration

    public init(localID: String, maxMessageBytes: Int = 256 * 1024, cmiTimeout: Duration = .seconds(10), helloInit: Duration = .seconds(60),
                helloLimit: Duration = .seconds(300), handshakeTimeout: Duration = .seconds(10), closeMaxTime: Duration = .seconds(2)) {
        self.localID = localID; self.maxMessageBytes = maxMessageBytes; self.cmiTimeout = cmiTimeout; self.helloInit = helloInit
        self.helloLimit = helloLimit; self.handshakeTimeout = handshakeTimeout; self.closeMaxTime = closeMaxTime
    }
}

/// The WebSocket close codes a SHIP connection ends with (RFC 6455 §7.4; 4000–4999 are for applications).
public enum SHIPCloseCode {
    public static let normal: UInt16 = 1000
    public static let protocolError: UInt16 = 1002
    public static let tooBig: UInt16 = 1009
    /// A phase timed out.
    public static let timeout: UInt16 = 4001
    /// The node is not trusted (the open SHIP implementations use 4452 for "rejected by the application").
    public static let untrusted: UInt16 = 4452
}
