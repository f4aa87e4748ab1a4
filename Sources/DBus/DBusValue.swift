/// A value of the D-Bus type system (D-Bus Specification 0.41, "Type System"): the basic types, arrays (with their
/// element signature, so that an empty array still has a type), dictionary entries (only as array elements:
/// `a{sv}` is `.array("{sv}", [.dictEntry(…), …])`), structures and variants. Unix file descriptors are not used by
/// the services ChargeKit talks to (NetworkManager, ModemManager, timedated) and are not represented.
public indirect enum DBusValue: Sendable, Hashable {
    case byte(UInt8)
    case boolean(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(String)
    /// Elements all of the single complete type `elementSignature` ("s", "{sv}", "(uu)", "ay" …).
    case array(elementSignature: String, [DBusValue])
    case dictEntry(DBusValue, DBusValue)
    case structure([DBusValue])
    case variant(DBusValue)

    /// The value's single complete type signature ("s", "a{sv}", "(uay)" …).
    public var signature: String {
        switch self {
        case .byte: "y"
        case .boolean: "b"
        case .int16: "n"
        case .uint16: "q"
        case .int32: "i"
        case .uint32: "u"
        case .int64: "x"
        case .uint64: "t"
        case .double: "d"
        case .string: "s"
        case .objectPath: "o"
        case .signature: "g"
        case .array(let element, _): "a" + element
        case .dictEntry(let k, let v): "{" + k.signature + v.signature + "}"
        case .structure(let fields): "(" + fields.map(\.signature).joined() + ")"
        case .variant: "v"
        }
    }
}

extension DBusValue {
    /// `a{sv}` from a dictionary, keys sorted (so that a message is the same bytes each time).
    public static func stringVariantDictionary(_ entries: [String: DBusValue]) -> DBusValue {
        .array(elementSignature: "{sv}", entries.sorted { $0.key < $1.key }.map { .dictEntry(.string($0.key), .variant($0.value)) })
    }

    /// An array of strings (`as`).
    public static func strings(_ values: [String]) -> DBusValue { .array(elementSignature: "s", values.map { .string($0) }) }

    /// The value inside any number of variants.
    public var unwrapped: DBusValue {
        if case .variant(let inner) = self { return inner.unwrapped }
        return self
    }

    /// A string, object path or signature (through variants).
    public var string: String? {
        switch unwrapped {
        case .string(let s), .objectPath(let s), .signature(let s): s
        default: nil
        }
    }

    public var bool: Bool? {
        if case .boolean(let b) = unwrapped { return b }
        return nil
    }

    /// Any integer type as Int (through variants); nil for other types and for a UInt64 above Int.max.
    public var int: Int? {
        switch unwrapped {
        case .byte(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int64(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        default: nil
        }
    }

    public var double: Double? {
        if case .double(let d) = unwrapped { return d }
        return nil
    }

    /// The elements of an array (through variants).
    public var elements: [DBusValue]? {
        if case .array(_, let e) = unwrapped { return e }
        return nil
    }

    /// The fields of a structure (through variants).
    public var fields: [DBusValue]? {
        if case .structure(let f) = unwrapped { return f }
        return nil
    }

    /// An `a{s…}` dictionary by its string keys (the values as they are, variants included); nil for other types.
    public var dictionary: [String: DBusValue]? {
        guard let entries = elements else { return nil }
        var result: [String: DBusValue] = [:]
        for entry in entries {
            guard case .dictEntry(let k, let v) = entry, let key = k.string else { return nil }
            result[key] = v
        }
        return result
    }
}

/// An error reply (D-Bus Specification "Message Types", ERROR): its name (`org.freedesktop.DBus.Error.ServiceUnknown`,
/// `org.freedesktop.NetworkManager.PermissionDenied` …) and its message, or a failure of the bus connection itself
/// (name `chargekit.Bus.*`).
public struct DBusError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var message: String
    public init(name: String, message: String) { self.name = name; self.message = message }
    public var description: String { message.isEmpty ? name : "\(name): \(message)" }

    /// The service is not on the bus (not installed or not running).
    public var isServiceUnknown: Bool {
        name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner"
    }
}

/// A method call (D-Bus Specification "Message Types", METHOD_CALL).
public struct DBusMethodCall: Sendable, Equatable {
    public var destination: String
    public var path: String
    public var interface: String
    public var member: String
    public var arguments: [DBusValue]

    public init(destination: String, path: String, interface: String, member: String, arguments: [DBusValue] = []) {
        self.destination = destination; self.path = path; self.interface = interface; self.member = member; self.arguments = arguments
    }
}

/// A connection to a message bus that can call methods: the real one (HostServices' `DBusConnection`, on the system bus
/// or the address in `DBUS_SYSTEM_BUS_ADDRESS`) or a fake in unit tests. A reply's arguments come back in order; an
/// ERROR reply throws ``DBusError``.
public protocol DBusBus: Sendable {
    func call(_ call: DBusMethodCall) async throws -> [DBusValue]
}

extension DBusBus {
    static var propertiesInterface: String { "org.freedesktop.DBus.Properties" }

    /// One property (`org.freedesktop.DBus.Properties.Get`), its variant unwrapped.
    public func property(_ name: String, of interface: String, at path: String, on destination: String) async throws -> DBusValue {
        let reply = try await call(DBusMethodCall(destination: destination, path: path, interface: Self.propertiesInterface, member: "Get",
                                                  arguments: [.string(interface), .string(name)]))
        guard let value = reply.first else { throw DBusError(name: "chargekit.Bus.BadReply", message: "Get \(interface).\(name) returned nothing") }
        return value.unwrapped
    }

    /// Every property of an interface (`GetAll`), variants unwrapped.
    public func properties(of interface: String, at path: String, on destination: String) async throws -> [String: DBusValue] {
        let reply = try await call(DBusMethodCall(destination: destination, path: path, interface: Self.propertiesInterface, member: "GetAll",
                                                  arguments: [.string(interface)]))
        guard let all = reply.first?.dictionary else {
            throw DBusError(name: "chargekit.Bus.BadReply", message: "GetAll \(interface) returned no a{sv}")
        }
        return all.mapValues(\.unwrapped)
    }

    /// Sets a property (`Set`); `value` is wrapped in its variant here.
    public func setProperty(_ name: String, of interface: String, at path: String, on destination: String, to value: DBusValue) async throws {
        _ = try await call(DBusMethodCall(destination: destination, path: path, interface: Self.propertiesInterface, member: "Set",
                                          arguments: [.string(interface), .string(name), .variant(value)]))
    }
}
