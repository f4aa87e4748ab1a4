import OCPP16

/// The first byte of every SHIP message on the WebSocket (SHIP TS 1.0.1 §13.4.2, "MessageType"): what the rest of the
/// binary message holds.
public enum SHIPMessageType: UInt8, Sendable, Equatable {
    /// Connection mode initialisation (§13.4.3): followed by one byte, 0.
    case initialisation = 0
    /// A control message of the handshake (§13.4.4–13.4.6): hello, protocol handshake, PIN, access methods.
    case control = 1
    /// A data message carrying a SPINE datagram (§13.4.5.2, §13.4.6).
    case data = 2
    /// The end of the connection: `connectionClose` (§13.4.7).
    case end = 3
}

/// `connectionHello` (SHIP TS 1.0.1 §13.4.4.1): whether a side is ready to talk to the other (it trusts it), still
/// waiting for its user's decision (`pending`), or refuses (`aborted`).
public struct SHIPHello: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable, CaseIterable { case pending, ready, aborted }
    public var phase: Phase
    /// How long the sender still waits for the other side to become ready, in milliseconds (§13.4.4.1.3).
    public var waitingMs: Int?
    /// A pending side asks the ready side to wait longer (§13.4.4.1.3, prolongation).
    public var prolongationRequest: Bool?
    public init(phase: Phase, waitingMs: Int? = nil, prolongationRequest: Bool? = nil) {
        self.phase = phase; self.waitingMs = waitingMs; self.prolongationRequest = prolongationRequest
    }
}

/// `messageProtocolHandshake` (SHIP TS 1.0.1 §13.4.4.2): the client announces the highest version it speaks and its
/// formats, the server selects, the client confirms by sending the selection back.
public struct SHIPProtocolHandshake: Sendable, Equatable {
    public enum HandshakeType: String, Sendable, Equatable, CaseIterable { case announceMax, select }
    public var handshakeType: HandshakeType
    public var major: Int
    public var minor: Int
    /// Message formats; SHIP 1.0 knows "JSON-UTF8" (mandatory) and "JSON-UTF16".
    public var formats: [String]
    public init(handshakeType: HandshakeType, major: Int = 1, minor: Int = 0, formats: [String] = [SHIPProtocolHandshake.jsonUTF8]) {
        self.handshakeType = handshakeType; self.major = major; self.minor = minor; self.formats = formats
    }
    /// The one format ChargeKit writes and reads (§13.4.1).
    public static let jsonUTF8 = "JSON-UTF8"
}

/// `messageProtocolHandshakeError` (SHIP TS 1.0.1 §13.4.4.2.3): why a side ends the protocol handshake.
public struct SHIPProtocolHandshakeError: Sendable, Equatable {
    public var error: Int
    public init(error: Int) { self.error = error }
    /// §13.4.4.2.3: 1 timeout, 2 unexpected message, 3 selection mismatch (0 is reserved).
    public static let timeout = SHIPProtocolHandshakeError(error: 1)
    public static let unexpectedMessage = SHIPProtocolHandshakeError(error: 2)
    public static let selectionMismatch = SHIPProtocolHandshakeError(error: 3)
}

/// `connectionPinState` (SHIP TS 1.0.1 §13.4.5): whether a side needs a PIN from the other. ChargeKit pairs by SKI and
/// always sends `none`.
public struct SHIPPinState: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable { case required, optional, pinOk, none }
    public enum InputPermission: String, Sendable, Equatable, CaseIterable { case busy, ok }
    public var pinState: State
    public var inputPermission: InputPermission?
    public init(pinState: State, inputPermission: InputPermission? = nil) { self.pinState = pinState; self.inputPermission = inputPermission }
}

/// `connectionPinInput` (SHIP TS 1.0.1 §13.4.5.3): a PIN (hex digits) for a side that asked for one.
public struct SHIPPinInput: Sendable, Equatable {
    public var pin: String
    public init(pin: String) { self.pin = pin }
}

/// `connectionPinError` (SHIP TS 1.0.1 §13.4.5.4): the PIN was not accepted (1: wrong PIN).
public struct SHIPPinError: Sendable, Equatable {
    public var error: Int
    public init(error: Int) { self.error = error }
}

/// `accessMethods` (SHIP TS 1.0.1 §13.4.6): how the sender can be reached: its SHIP id, optionally that it announces
/// itself by DNS-SD/mDNS and a DNS URI.
public struct SHIPAccessMethods: Sendable, Equatable {
    public var id: String
    public var dnsSdMDNS: Bool
    public var dnsURI: String?
    public init(id: String, dnsSdMDNS: Bool = false, dnsURI: String? = nil) { self.id = id; self.dnsSdMDNS = dnsSdMDNS; self.dnsURI = dnsURI }
}

/// `connectionClose` (SHIP TS 1.0.1 §13.4.7): the orderly end: one side announces, the other confirms.
public struct SHIPClose: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable, CaseIterable { case announce, confirm }
    public enum Reason: String, Sendable, Equatable, CaseIterable { case unspecific, removedConnection }
    public var phase: Phase
    /// How long the announcing side waits for the confirmation, in milliseconds.
    public var maxTimeMs: Int?
    public var reason: Reason?
    public init(phase: Phase, maxTimeMs: Int? = nil, reason: Reason? = nil) { self.phase = phase; self.maxTimeMs = maxTimeMs; self.reason = reason }
}

/// `data` (SHIP TS 1.0.1 §13.4.6.2): one SPINE datagram (the payload, in the plain JSON form) for the protocol
/// `protocolId` ("ee1.0" for SPINE), with an optional manufacturer extension kept as it came.
public struct SHIPData: Sendable, Equatable {
    public var protocolID: String
    public var payload: JSONValue
    public var `extension`: JSONValue?
    public init(protocolID: String = SHIPData.spineProtocolID, payload: JSONValue, extension: JSONValue? = nil) {
        self.protocolID = protocolID; self.payload = payload; self.extension = `extension`
    }
    /// The protocol id of SPINE datagrams (§13.4.6.2).
    public static let spineProtocolID = "ee1.0"
}

/// One SHIP message after the connection mode initialisation.
public enum SHIPMessage: Sendable, Equatable {
    case hello(SHIPHello)
    case protocolHandshake(SHIPProtocolHandshake)
    case protocolHandshakeError(SHIPProtocolHandshakeError)
    case pinState(SHIPPinState)
    case pinInput(SHIPPinInput)
    case pinError(SHIPPinError)
    case accessMethodsRequest
    case accessMethods(SHIPAccessMethods)
    case close(SHIPClose)
    case data(SHIPData)

    /// The message's name on the wire (its outermost member).
    public var name: String {
        switch self {
        case .hello: "connectionHello"
        case .protocolHandshake: "messageProtocolHandshake"
        case .protocolHandshakeError: "messageProtocolHandshakeError"
        case .pinState: "connectionPinState"
        case .pinInput: "connectionPinInput"
        case .pinError: "connectionPinError"
        case .accessMethodsRequest: "accessMethodsRequest"
        case .accessMethods: "accessMethods"
        case .close: "connectionClose"
        case .data: "data"
        }
    }

    /// The type byte it travels with: data as data, `connectionClose` as end, the others as control (§13.4.2).
    public var messageType: SHIPMessageType {
        switch self {
        case .data: .data
        case .close: .end
        default: .control
        }
    }
}

/// Why a SHIP message was refused: the path of the element at fault and what is wrong.
public struct SHIPMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SHIPMessage {
    /// The plain JSON form (one member: the message's name).
    public var plain: JSONValue {
        var o = JSONObject(reservingCapacity: 1)
        o[name] = .object(body)
        return .object(o)
    }

    private var body: JSONObject {
        var b = JSONObject()
        switch self {
        case .hello(let h):
            b["phase"] = .string(h.phase.rawValue)
            if let w = h.waitingMs { b["waiting"] = .integer(Int64(w)) }
            if let p = h.prolongationRequest { b["prolongationRequest"] = .bool(p) }
        case .protocolHandshake(let p):
            b["handshakeType"] = .string(p.handshakeType.rawValue)
            b["version"] = .object(["major": .integer(Int64(p.major)), "minor": .integer(Int64(p.minor))])
            b["formats"] = .object(["format": .array(p.formats.map { .string($0) })])
        case .protocolHandshakeError(let e):
            b["error"] = .integer(Int64(e.error))
        case .pinState(let s):
            b["pinState"] = .string(s.pinState.rawValue)
            if let i = s.inputPermission { b["inputPermission"] = .string(i.rawValue) }
        case .pinInput(let p):
            b["pin"] = .string(p.pin)
        case .pinError(let e):
            b["error"] = .integer(Int64(e.error))
        case .accessMethodsRequest:
            break
        case .accessMethods(let a):
            b["id"] = .string(a.id)
            if a.dnsSdMDNS { b["dnsSd_mDns"] = .object(JSONObject()) }
            if let uri = a.dnsURI { b["dns"] = .object(["uri": .string(uri)]) }
        case .close(let c):
            b["phase"] = .string(c.phase.rawValue)
            if let t = c.maxTimeMs { b["maxTime"] = .integer(Int64(t)) }
            if let r = c.reason { b["reason"] = .string(r.rawValue) }
        case .data(let d):
            b["header"] = .object(["protocolId": .string(d.protocolID)])
            b["payload"] = d.payload
            if let e = d.extension { b["extension"] = e }
        }
        return b
    }

    /// The EEBUS JSON text (§13.4.1): the whole message in the EEBUS form, the SPINE payload included — the
    /// datagram's outermost object becomes `[{"datagram": …}]` like every object below a message's own member, as the
    /// open implementations write it (they convert the assembled message as one document).
    public var eebusJSON: [UInt8] { EEBUSJSON.encode(plain) }

    /// The bytes of one WebSocket message: the type byte, then the EEBUS JSON.
    public var frame: [UInt8] { [messageType.rawValue] + eebusJSON }

    /// Reads one WebSocket message after the connection mode initialisation: the type byte and the EEBUS JSON text,
    /// strictly (unknown messages, missing or mistyped members and unknown enumeration values are errors naming the
    /// path; unknown extra members are ignored, as SHIP's schemas are extensible).
    public static func read(frame bytes: [UInt8]) throws(SHIPMessageError) -> SHIPMessage {
        guard let first = bytes.first else { throw SHIPMessageError("an empty message (SHIP needs the message type byte)") }
        guard let type = SHIPMessageType(rawValue: first) else { throw SHIPMessageError("unknown message type \(first) (allowed: 0–3)") }
        guard type != .initialisation else { throw SHIPMessageError("a connection mode initialisation after the initialisation") }
        let plain: JSONValue
        do throws(EEBUSJSON.Failure) { plain = try EEBUSJSON.decode(Array(bytes.dropFirst())) } catch {
            throw SHIPMessageError("the JSON is malformed: \(error.description)")
        }
        let message = try read(plain: plain)
        guard message.messageType == type || (type == .control && message.messageType == .end) else {
            throw SHIPMessageError("\(message.name) sent with message type \(type.rawValue), expected \(message.messageType.rawValue)")
        }
        return message
    }

    /// Reads a message from its plain JSON form.
    public static func read(plain: JSONValue) throws(SHIPMessageError) -> SHIPMessage {
        guard case .object(let top) = plain, top.count == 1, let member = top.members.first else {
            throw SHIPMessageError("$: a SHIP message is an object with exactly one member")
        }
        let path = "$." + member.key
        if member.key == "data" {
            let r = try SHIPReader(member.value, path: path)
            let header = try r.object("header")
            return .data(SHIPData(protocolID: try header.string("protocolId"), payload: try r.value("payload"), extension: r.optionalValue("extension")))
        }
        let r = try SHIPReader(member.value, path: path)
        switch member.key {
        case "connectionHello":
            return .hello(SHIPHello(phase: try r.enumeration("phase"), waitingMs: try r.optionalInt("waiting", max: Int(UInt32.max)),
                                    prolongationRequest: try r.optionalBool("prolongationRequest")))
        case "messageProtocolHandshake":
            let version = try r.object("version")
            let formats = try r.object("formats")
            return .protocolHandshake(SHIPProtocolHandshake(handshakeType: try r.enumeration("handshakeType"),
                                                            major: try version.int("major", max: 255), minor: try version.int("minor", max: 255),
                                                            formats: try formats.strings("format")))
        case "messageProtocolHandshakeError":
            return .protocolHandshakeError(SHIPProtocolHandshakeError(error: try r.int("error", max: 255)))
        case "connectionPinState":
            return .pinState(SHIPPinState(pinState: try r.enumeration("pinState"), inputPermission: try r.optionalEnumeration("inputPermission")))
        case "connectionPinInput":
            return .pinInput(SHIPPinInput(pin: try r.string("pin")))
        case "connectionPinError":
            return .pinError(SHIPPinError(error: try r.int("error", max: 255)))
        case "accessMethodsRequest":
            return .accessMethodsRequest
        case "accessMethods":
            let dns = try r.optionalObject("dns")
            return .accessMethods(SHIPAccessMethods(id: try r.string("id"), dnsSdMDNS: try r.optionalObject("dnsSd_mDns") != nil,
                                                    dnsURI: try dns?.string("uri")))
        case "connectionClose":
            return .close(SHIPClose(phase: try r.enumeration("phase"), maxTimeMs: try r.optionalInt("maxTime", max: Int(UInt32.max)),
                                    reason: try r.optionalEnumeration("reason")))
        default:
            throw SHIPMessageError("$: unknown SHIP message \"\(member.key)\"")
        }
    }
}

extension JSONValue {
    /// The member `key` of an object (nil for anything else).
    func objectMember(_ key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }
}

/// Reads the members of one object of a SHIP message, naming the path in every error.
struct SHIPReader {
    let object: JSONObject
    let path: String

    /// An object; `[]` (the EEBUS form of an empty object, read back as an empty array) counts as an empty object.
    init(_ value: JSONValue, path: String) throws(SHIPMessageError) {
        switch value {
        case .object(let o): object = o
        case .array(let a) where a.isEmpty: object = JSONObject()
        default: throw SHIPMessageError("\(path): an object is required, not \(value.typeName)")
        }
        self.path = path
    }

    func value(_ key: String) throws(SHIPMessageError) -> JSONValue {
        guard let v = object[key] else { throw SHIPMessageError("\(path).\(key): required") }
        return v
    }

    func optionalValue(_ key: String) -> JSONValue? { object[key] }

    func string(_ key: String) throws(SHIPMessageError) -> String {
        guard case .string(let s) = try value(key) else { throw SHIPMessageError("\(path).\(key): a string is required") }
        return s
    }

    func int(_ key: String, max: Int) throws(SHIPMessageError) -> Int {
        guard case .integer(let i) = try value(key), i >= 0, i <= Int64(max) else {
            throw SHIPMessageError("\(path).\(key): an integer from 0 to \(max) is required")
        }
        return Int(i)
    }

    func optionalInt(_ key: String, max: Int) throws(SHIPMessageError) -> Int? {
        object[key] == nil ? nil : try int(key, max: max)
    }

    func optionalBool(_ key: String) throws(SHIPMessageError) -> Bool? {
        guard let v = object[key] else { return nil }
        guard case .bool(let b) = v else { throw SHIPMessageError("\(path).\(key): true or false is required") }
        return b
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String) throws(SHIPMessageError) -> E where E.RawValue == String {
        let s = try string(key)
        guard let e = E(rawValue: s) else {
            throw SHIPMessageError("\(path).\(key): \"\(s)\" is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return e
    }

    func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ key: String) throws(SHIPMessageError) -> E? where E.RawValue == String {
        object[key] == nil ? nil : try enumeration(key) as E
    }

    func object(_ key: String) throws(SHIPMessageError) -> SHIPReader {
        try SHIPReader(try value(key), path: "\(path).\(key)")
    }

    func optionalObject(_ key: String) throws(SHIPMessageError) -> SHIPReader? {
        guard let v = object[key] else { return nil }
        return try SHIPReader(v, path: "\(path).\(key)")
    }

    /// A list of strings; a single string is read as a list of one (some devices write a one-element list so).
    func strings(_ key: String) throws(SHIPMessageError) -> [String] {
        switch try value(key) {
        case .string(let s): return [s]
        case .array(let a):
            var out: [String] = []
            for (i, e) in a.enumerated() {
                guard case .string(let s) = e else { throw SHIPMessageError("\(path).\(key)[\(i)]: a string is required") }
                out.append(s)
            }
            return out
        default: throw SHIPMessageError("\(path).\(key): a list of strings is required")
        }
    }
}
