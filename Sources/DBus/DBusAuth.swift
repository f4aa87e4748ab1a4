/// Why the bus refused or garbled the authentication.
public enum DBusAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `REJECTED`: the bus does not accept EXTERNAL for this process (it names the mechanisms it would accept).
    case rejected(mechanisms: String)
    /// `ERROR` or a reply the protocol does not allow at this point.
    case unexpected(String)
    /// A line longer than the protocol's sensible bound, or not ASCII.
    case malformedLine

    public var description: String {
        switch self {
        case .rejected(let m): "the bus rejected authentication EXTERNAL (it offers: \(m.isEmpty ? "nothing" : m))"
        case .unexpected(let line): "unexpected reply during authentication: \(line)"
        case .malformedLine: "malformed authentication line from the bus"
        }
    }
}

/// The client side of the SASL exchange before a D-Bus connection carries messages (D-Bus Specification 0.41,
/// "Authentication Protocol"): one NUL byte (which on other systems carries the credentials), `AUTH EXTERNAL` with the
/// process's uid in decimal, hex-encoded, as the initial response; the bus's `OK <guid>` is answered with `BEGIN`, after
/// which the stream carries messages. EXTERNAL is the only mechanism ChargeKit uses (a root service on the system bus,
/// whose uid the bus reads from the socket); `REJECTED` therefore ends the attempt. A `DATA` challenge (a bus that
/// ignored the initial response) is answered with an empty `DATA`, meaning "the uid the socket shows".
public struct DBusAuthClient: Sendable {
    public enum Event: Sendable, Equatable {
        /// Bytes to send to the bus.
        case send([UInt8])
        /// Authentication is done: the server's GUID, and bytes that followed its `OK` line (the start of the message
        /// stream, to feed to the framer).
        case authenticated(serverGUID: String, leftover: [UInt8])
    }

    /// Lines are short in practice (`OK` and a 32-digit GUID); anything much longer is not a bus.
    public static let maxLineBytes = 4096

    let uid: UInt32
    var buffer: [UInt8] = []
    var done = false

    public init(uid: UInt32) { self.uid = uid }

    /// The hex encoding of the uid's decimal digits (uid 1000 → "31303030").
    public static func hexUID(_ uid: UInt32) -> String {
        String(uid).utf8.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
    }

    /// What the client sends first: the NUL byte and the AUTH command.
    public func start() -> [UInt8] { [0] + Array("AUTH EXTERNAL \(Self.hexUID(uid))\r\n".utf8) }

    /// Feeds bytes from the bus; returns what to send and, once `OK` arrived, that authentication is done.
    public mutating func receive(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        guard !done else { return [] }
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            guard newline > 0, buffer[newline - 1] == UInt8(ascii: "\r") else { throw DBusAuthError.malformedLine }
            let lineBytes = buffer[..<(newline - 1)]
            guard lineBytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw DBusAuthError.malformedLine }
            let line = String(decoding: lineBytes, as: UTF8.self)
            buffer.removeFirst(newline + 1)
            let (command, argument) = Self.split(line)
            switch command {
            case "OK":
                done = true
                events.append(.send(Array("BEGIN\r\n".utf8)))
                events.append(.authenticated(serverGUID: argument, leftover: buffer))
                buffer = []
                return events
            case "REJECTED": throw DBusAuthError.rejected(mechanisms: argument)
            case "DATA": events.append(.send(Array("DATA\r\n".utf8)))
            default: throw DBusAuthError.unexpected(line)
            }
        }
        guard buffer.count <= Self.maxLineBytes else { throw DBusAuthError.malformedLine }
        return events
    }

    static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }
}

/// A server address (D-Bus Specification 0.41, "Server Addresses"): `;`-separated entries of
/// `transport:key=value,…` with %-escaped values. ChargeKit connects to the first `unix:` entry with `path=` or
/// `abstract=` (the forms a client can connect to; `dir=`/`tmpdir=` are for listening).
public enum DBusAddress: Sendable, Equatable {
    case unixPath(String)
    case unixAbstract(String)

    /// The system bus when `DBUS_SYSTEM_BUS_ADDRESS` is not set (D-Bus Specification 0.41, "Well-known Message Bus
    /// Instances").
    public static let defaultSystemBus = "unix:path=/run/dbus/system_bus_socket"

    /// The first usable entry of `address`, or nil when none is.
    public static func parse(_ address: String) -> DBusAddress? {
        for entry in address.split(separator: ";") {
            guard let colon = entry.firstIndex(of: ":"), entry[..<colon] == "unix" else { continue }
            var keys: [String: String] = [:]
            var valid = true
            for pair in entry[entry.index(after: colon)...].split(separator: ",") {
                guard let eq = pair.firstIndex(of: "="), let value = unescape(pair[pair.index(after: eq)...]) else { valid = false; break }
                keys[String(pair[..<eq])] = value
            }
            guard valid else { continue }
            if let path = keys["path"], !path.isEmpty { return .unixPath(path) }
            if let name = keys["abstract"], !name.isEmpty { return .unixAbstract(name) }
        }
        return nil
    }

    static func unescape(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
