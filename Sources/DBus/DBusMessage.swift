/// A D-Bus message (D-Bus Specification 0.41, "Message Format"): the fixed header (endianness, type, flags, protocol
/// version 1, body length, serial), the header fields array `a(yv)`, padding to 8 and the body. ChargeKit writes
/// METHOD_CALLs (and can write any type, for tests) and reads METHOD_RETURN, ERROR and SIGNAL; a message of an unknown
/// type is read and then ignored by the connection, as the specification asks.
public struct DBusMessage: Sendable, Equatable {
    public struct MessageType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let methodCall = MessageType(rawValue: 1)
        public static let methodReturn = MessageType(rawValue: 2)
        public static let error = MessageType(rawValue: 3)
        public static let signal = MessageType(rawValue: 4)
        public var description: String {
            switch rawValue {
            case 1: "METHOD_CALL"
            case 2: "METHOD_RETURN"
            case 3: "ERROR"
            case 4: "SIGNAL"
            default: "type \(rawValue)"
            }
        }
    }

    /// Header flags (D-Bus Specification 0.41, "Message Format").
    public struct Flags: OptionSet, Sendable, Hashable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let noReplyExpected = Flags(rawValue: 0x1)
        public static let noAutoStart = Flags(rawValue: 0x2)
        public static let allowInteractiveAuthorization = Flags(rawValue: 0x4)
    }

    /// Header field codes (D-Bus Specification 0.41, "Message Format", header fields table).
    public enum FieldCode: UInt8, Sendable {
        case path = 1, interface = 2, member = 3, errorName = 4, replySerial = 5, destination = 6, sender = 7, signature = 8, unixFDs = 9
    }

    /// The size ChargeKit accepts for one whole message (header, fields, padding and body). The specification allows
    /// 128 MiB; the services ChargeKit calls answer in a few KiB, so anything over 1 MiB is refused before it is buffered.
    public static let maxMessageBytes = 1 << 20

    public var type: MessageType
    public var flags: Flags = []
    public var serial: UInt32
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var replySerial: UInt32?
    public var destination: String?
    public var sender: String?
    public var body: [DBusValue] = []

    public init(type: MessageType, flags: Flags = [], serial: UInt32, path: String? = nil, interface: String? = nil, member: String? = nil,
                errorName: String? = nil, replySerial: UInt32? = nil, destination: String? = nil, sender: String? = nil, body: [DBusValue] = []) {
        self.type = type; self.flags = flags; self.serial = serial; self.path = path; self.interface = interface; self.member = member
        self.errorName = errorName; self.replySerial = replySerial; self.destination = destination; self.sender = sender; self.body = body
    }

    /// A METHOD_CALL message for `call`.
    public static func methodCall(_ call: DBusMethodCall, serial: UInt32, flags: Flags = []) -> DBusMessage {
        DBusMessage(type: .methodCall, flags: flags, serial: serial, path: call.path, interface: call.interface, member: call.member,
                    destination: call.destination, body: call.arguments)
    }

    /// The body's signature (the SIGNATURE header field).
    public var bodySignature: String { body.map(\.signature).joined() }

    /// The error of an ERROR message: its name and, when the first argument is a string, that as the message.
    public var error: DBusError? {
        guard type == .error else { return nil }
        var text = ""
        if case .string(let s)? = body.first { text = s }
        return DBusError(name: errorName ?? "org.freedesktop.DBus.Error.Failed", message: text)
    }

    /// The message in the wire format, little-endian.
    public func encoded() throws -> [UInt8] {
        guard serial != 0 else { throw DBusWireError.malformed("serial 0") }
        var fields: [DBusValue] = []
        func field(_ code: FieldCode, _ value: DBusValue) { fields.append(.structure([.byte(code.rawValue), .variant(value)])) }
        if let path { field(.path, .objectPath(path)) }
        if let interface { field(.interface, .string(interface)) }
        if let member { field(.member, .string(member)) }
        if let errorName { field(.errorName, .string(errorName)) }
        if let replySerial { field(.replySerial, .uint32(replySerial)) }
        if let destination { field(.destination, .string(destination)) }
        if let sender { field(.sender, .string(sender)) }
        let signature = bodySignature
        if !signature.isEmpty { field(.signature, .signature(signature)) }

        var bodyWriter = DBusWriter()
        for value in body { try bodyWriter.write(value) }
        var w = DBusWriter()
        try w.write(.byte(UInt8(ascii: "l")))
        try w.write(.byte(type.rawValue))
        try w.write(.byte(flags.rawValue))
        try w.write(.byte(1))
        try w.write(.uint32(UInt32(bodyWriter.bytes.count)))
        try w.write(.uint32(serial))
        try w.write(.array(elementSignature: "(yv)", fields))
        w.pad(to: 8)
        let total = w.bytes.count + bodyWriter.bytes.count
        guard total <= Self.maxMessageBytes else { throw DBusWireError.tooLarge("a message of \(total) bytes (at most \(Self.maxMessageBytes))") }
        // The body starts at a multiple of 8, so its alignment relative to itself equals that relative to the message.
        return w.bytes + bodyWriter.bytes
    }

    /// The total length of the message that starts `bytes` (fixed header, fields, padding, body), once its first 16
    /// bytes are there; nil while fewer. Throws when the fixed header is not a D-Bus one or announces too much.
    public static func announcedLength(_ bytes: ArraySlice<UInt8>) throws -> Int? {
        guard bytes.count >= 16 else { return nil }
        let b = Array(bytes.prefix(16))
        let bigEndian: Bool
        switch b[0] {
        case UInt8(ascii: "l"): bigEndian = false
        case UInt8(ascii: "B"): bigEndian = true
        default: throw DBusWireError.malformed("endianness byte \(b[0]) is neither 'l' nor 'B'")
        }
        guard b[3] == 1 else { throw DBusWireError.malformed("protocol version \(b[3]), not 1") }
        var r = DBusReader(bytes: b, bigEndian: bigEndian, position: 4)
        let bodyLength = Int(try r.readInt(UInt32.self))
        _ = try r.readInt(UInt32.self)
        let fieldsLength = Int(try r.readInt(UInt32.self))
        guard bodyLength <= maxMessageBytes, fieldsLength <= maxMessageBytes else {
            throw DBusWireError.tooLarge("a message announcing \(fieldsLength) header bytes and \(bodyLength) body bytes")
        }
        let headerEnd = (16 + fieldsLength + 7) / 8 * 8
        let total = headerEnd + bodyLength
        guard total <= maxMessageBytes else { throw DBusWireError.tooLarge("a message of \(total) bytes (at most \(maxMessageBytes))") }
        return total
    }

    /// Reads one whole message (exactly `bytes`, in either byte order). A truncated, padded-wrong, oversized or
    /// otherwise malformed message throws ``DBusWireError``.
    public static func decode(_ bytes: [UInt8]) throws -> DBusMessage {
        guard let total = try announcedLength(bytes[...]) else { throw DBusWireError.truncated(needed: 16, available: bytes.count) }
        guard bytes.count >= total else { throw DBusWireError.truncated(needed: total, available: bytes.count) }
        guard bytes.count == total else { throw DBusWireError.malformed("\(bytes.count - total) bytes after the message's end") }
        let bigEndian = bytes[0] == UInt8(ascii: "B")
        var r = DBusReader(bytes: bytes, bigEndian: bigEndian, position: 1)
        let type = MessageType(rawValue: try r.readByte())
        let flags = Flags(rawValue: try r.readByte())
        _ = try r.readByte()
        let bodyLength = Int(try r.readInt(UInt32.self))
        let serial = try r.readInt(UInt32.self)
        guard serial != 0 else { throw DBusWireError.malformed("serial 0") }
        guard case .array(_, let fields) = try r.read(.array(.structure([.byte, .variant]))) else { throw DBusWireError.malformed("header fields") }
        try r.align(8)
        guard r.position == total - bodyLength else { throw DBusWireError.malformed("the header's end does not meet the body") }

        var message = DBusMessage(type: type, flags: flags, serial: serial)
        var signature = ""
        for f in fields {
            guard case .structure(let pair) = f, pair.count == 2, case .byte(let code) = pair[0], case .variant(let value) = pair[1] else {
                throw DBusWireError.malformed("a header field is not (yv)")
            }
            func expect(_ sig: String) throws {
                guard value.signature == sig else { throw DBusWireError.typeMismatch(expected: sig, got: value.signature) }
            }
            switch FieldCode(rawValue: code) {
            case .path: try expect("o"); message.path = value.string
            case .interface: try expect("s"); message.interface = value.string
            case .member: try expect("s"); message.member = value.string
            case .errorName: try expect("s"); message.errorName = value.string
            case .replySerial:
                try expect("u")
                if case .uint32(let s) = value { message.replySerial = s }
            case .destination: try expect("s"); message.destination = value.string
            case .sender: try expect("s"); message.sender = value.string
            case .signature: try expect("g"); signature = value.string ?? ""
            case .unixFDs:
                try expect("u")
                if case .uint32(let n) = value, n > 0 { throw DBusWireError.malformed("a message carrying unix file descriptors") }
            case nil: break  // unknown fields are ignored (specification)
            }
        }
        switch type {
        case .methodCall:
            guard message.path != nil, message.member != nil else { throw DBusWireError.malformed("METHOD_CALL without PATH or MEMBER") }
        case .methodReturn:
            guard message.replySerial != nil else { throw DBusWireError.malformed("METHOD_RETURN without REPLY_SERIAL") }
        case .error:
            guard message.replySerial != nil, message.errorName != nil else { throw DBusWireError.malformed("ERROR without REPLY_SERIAL or ERROR_NAME") }
        case .signal:
            guard message.path != nil, message.interface != nil, message.member != nil else {
                throw DBusWireError.malformed("SIGNAL without PATH, INTERFACE or MEMBER")
            }
        default: break
        }
        var body = DBusReader(bytes: bytes, bigEndian: bigEndian, position: r.position, end: total)
        message.body = try body.read(signature: signature)
        guard body.isAtEnd else { throw DBusWireError.malformed("\(total - body.position) body bytes beyond the signature \"\(signature)\"") }
        return message
    }
}

/// Cuts whole messages out of the byte stream of a connection (after authentication): bytes are appended as they
/// arrive, ``next()`` returns each complete message. A stream that announces a message over the 1 MiB cap or sends a
/// malformed one throws; the connection should then be closed, as a D-Bus stream cannot be resynchronised.
public struct DBusFramer: Sendable {
    var buffer: [UInt8] = []
    var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) { buffer.append(contentsOf: bytes) }

    /// Bytes received but not yet part of a returned message.
    public var pendingByteCount: Int { buffer.count - start }

    public mutating func next() throws -> DBusMessage? {
        guard let total = try DBusMessage.announcedLength(buffer[start...]), buffer.count - start >= total else { return nil }
        let bytes = Array(buffer[start..<(start + total)])
        start += total
        if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return try DBusMessage.decode(bytes)
    }
}
