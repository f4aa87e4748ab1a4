/// Why bytes from the bus (or a value to send) are not a valid D-Bus message: every malformed, truncated or oversized
/// input ends in one of these — the codec never traps on what a peer sent.
public enum DBusWireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A signature that is not a sequence of complete types, too long, or nested too deep.
    case invalidSignature(String, reason: String)
    /// Fewer bytes than a length, a type or the header announced.
    case truncated(needed: Int, available: Int)
    /// A byte that the wire format fixes (alignment padding, a string's terminating NUL, a boolean's 0/1) is wrong.
    case malformed(String)
    /// A message, array or header larger than the bounds (D-Bus Specification limits, or ChargeKit's 1 MiB cap).
    case tooLarge(String)
    /// A value that does not match the signature it is written under.
    case typeMismatch(expected: String, got: String)

    public var description: String {
        switch self {
        case .invalidSignature(let s, let reason): "invalid D-Bus signature \"\(s)\": \(reason)"
        case .truncated(let needed, let available): "truncated D-Bus data: \(needed) bytes needed, \(available) available"
        case .malformed(let what): "malformed D-Bus data: \(what)"
        case .tooLarge(let what): "D-Bus data too large: \(what)"
        case .typeMismatch(let expected, let got): "D-Bus value of type \(got) where \(expected) is expected"
        }
    }
}

/// One complete type of a signature as a tree (D-Bus Specification 0.41, "Type System" and "Valid Signatures").
public indirect enum DBusType: Sendable, Hashable {
    case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double, string, objectPath, signature, unixFD
    case array(DBusType)
    case dictEntry(DBusType, DBusType)
    case structure([DBusType])
    case variant

    /// The alignment of the type's marshalled form (D-Bus Specification 0.41, "Marshaling (Wire Format)", the table of
    /// alignments): 1 for bytes, signatures and variants, 2/4/8 by size, 4 for arrays and strings (their length),
    /// 8 for structures and dictionary entries.
    public var alignment: Int {
        switch self {
        case .byte, .signature, .variant: 1
        case .int16, .uint16: 2
        case .boolean, .int32, .uint32, .unixFD, .string, .objectPath, .array: 4
        case .int64, .uint64, .double, .structure, .dictEntry: 8
        }
    }

    public var isBasic: Bool {
        switch self {
        case .array, .dictEntry, .structure, .variant: false
        default: true
        }
    }

    /// The type's signature text.
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
        case .unixFD: "h"
        case .array(let e): "a" + e.signature
        case .dictEntry(let k, let v): "{" + k.signature + v.signature + "}"
        case .structure(let fields): "(" + fields.map(\.signature).joined() + ")"
        case .variant: "v"
        }
    }
}

/// Parsing and validation of signatures (D-Bus Specification 0.41, "Valid Signatures"): at most 255 bytes, at most
/// 32 nested arrays and 32 nested structures (dictionary entries count as structures, as in the reference
/// implementation), dictionary entries only directly inside an array with a basic key and exactly two types, no empty
/// structures.
public enum DBusSignature {
    public static let maxLength = 255
    public static let maxArrayDepth = 32
    public static let maxStructDepth = 32

    /// The complete types of `signature` in order (an empty signature is no types).
    public static func parse(_ signature: String) throws -> [DBusType] {
        let bytes = Array(signature.utf8)
        guard bytes.count <= maxLength else { throw DBusWireError.invalidSignature(String(signature.prefix(40)) + "…", reason: "longer than \(maxLength) bytes") }
        var parser = Parser(bytes: bytes, text: signature)
        var types: [DBusType] = []
        while parser.index < bytes.count { types.append(try parser.completeType(arrayDepth: 0, structDepth: 0)) }
        return types
    }

    /// Exactly one complete type (a variant's signature, an array's element).
    public static func parseSingle(_ signature: String) throws -> DBusType {
        let types = try parse(signature)
        guard types.count == 1 else { throw DBusWireError.invalidSignature(signature, reason: "not a single complete type") }
        return types[0]
    }

    private struct Parser {
        let bytes: [UInt8]
        let text: String
        var index = 0

        func fail(_ reason: String) -> DBusWireError { .invalidSignature(text, reason: reason) }

        mutating func completeType(arrayDepth: Int, structDepth: Int) throws -> DBusType {
            guard index < bytes.count else { throw fail("ends inside a container") }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "y"): return .byte
            case UInt8(ascii: "b"): return .boolean
            case UInt8(ascii: "n"): return .int16
            case UInt8(ascii: "q"): return .uint16
            case UInt8(ascii: "i"): return .int32
            case UInt8(ascii: "u"): return .uint32
            case UInt8(ascii: "x"): return .int64
            case UInt8(ascii: "t"): return .uint64
            case UInt8(ascii: "d"): return .double
            case UInt8(ascii: "s"): return .string
            case UInt8(ascii: "o"): return .objectPath
            case UInt8(ascii: "g"): return .signature
            case UInt8(ascii: "h"): return .unixFD
            case UInt8(ascii: "v"): return .variant
            case UInt8(ascii: "a"):
                guard arrayDepth < maxArrayDepth else { throw fail("more than \(maxArrayDepth) nested arrays") }
                if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    index += 1
                    guard structDepth < maxStructDepth else { throw fail("more than \(maxStructDepth) nested structures") }
                    let key = try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth + 1)
                    guard key.isBasic else { throw fail("a dictionary key must be a basic type") }
                    let value = try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth + 1)
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else { throw fail("a dictionary entry has exactly two types") }
                    index += 1
                    return .array(.dictEntry(key, value))
                }
                return .array(try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth))
            case UInt8(ascii: "("):
                guard structDepth < maxStructDepth else { throw fail("more than \(maxStructDepth) nested structures") }
                var fields: [DBusType] = []
                while true {
                    guard index < bytes.count else { throw fail("unclosed structure") }
                    if bytes[index] == UInt8(ascii: ")") { index += 1; break }
                    fields.append(try completeType(arrayDepth: arrayDepth, structDepth: structDepth + 1))
                }
                guard !fields.isEmpty else { throw fail("empty structure") }
                return .structure(fields)
            case UInt8(ascii: "{"): throw fail("a dictionary entry outside an array")
            case UInt8(ascii: ")"), UInt8(ascii: "}"): throw fail("unbalanced \(Character(UnicodeScalar(c)))")
            default: throw fail("unknown type code \(c < 0x80 ? String(UnicodeScalar(c)) : "0x" + String(c, radix: 16))")
            }
        }
    }
}

extension DBusValue {
    /// The value's type as a tree.
    public var type: DBusType {
        get throws { try DBusSignature.parseSingle(signature) }
    }
}
