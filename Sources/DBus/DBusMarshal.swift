/// Writes values in the D-Bus wire format (D-Bus Specification 0.41, "Marshaling (Wire Format)"), always
/// little-endian (the endianness byte of messages ChargeKit sends is `l`). Every value starts at an offset that is a
/// multiple of its type's alignment, counted from the start of the message; padding bytes are zero.
public struct DBusWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    /// The largest array the specification allows (D-Bus Specification 0.41, "Marshaling (Wire Format)": 2^26 bytes).
    public static let maxArrayBytes = 1 << 26

    public init() {}

    public mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        pad(to: MemoryLayout<T>.size)
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) throws {
        let utf8 = Array(s.utf8)
        guard !utf8.contains(0) else { throw DBusWireError.malformed("a string contains a NUL byte") }
        appendLE(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    mutating func appendSignature(_ s: String) throws {
        _ = try DBusSignature.parse(s)
        let utf8 = Array(s.utf8)
        bytes.append(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    /// Appends one value (any case of ``DBusValue``); a value that the wire format cannot carry throws.
    public mutating func write(_ value: DBusValue) throws {
        switch value {
        case .byte(let v): bytes.append(v)
        case .boolean(let v): appendLE(UInt32(v ? 1 : 0))
        case .int16(let v): appendLE(v)
        case .uint16(let v): appendLE(v)
        case .int32(let v): appendLE(v)
        case .uint32(let v): appendLE(v)
        case .int64(let v): appendLE(v)
        case .uint64(let v): appendLE(v)
        case .double(let v): appendLE(v.bitPattern)
        case .string(let s): try appendString(s)
        case .objectPath(let p):
            guard DBusNames.isValidObjectPath(p) else { throw DBusWireError.malformed("invalid object path \"\(p)\"") }
            try appendString(p)
        case .signature(let s): try appendSignature(s)
        case .array(let elementSignature, let elements):
            guard case .array(let elementType) = try DBusSignature.parseSingle("a" + elementSignature) else {
                throw DBusWireError.invalidSignature(elementSignature, reason: "not an array's element")
            }
            appendLE(UInt32(0))
            let lengthAt = bytes.count - 4
            pad(to: elementType.alignment)
            let start = bytes.count
            for element in elements {
                guard element.signature == elementSignature else {
                    throw DBusWireError.typeMismatch(expected: elementSignature, got: element.signature)
                }
                try write(element)
            }
            let length = bytes.count - start
            guard length <= Self.maxArrayBytes else { throw DBusWireError.tooLarge("an array of \(length) bytes") }
            withUnsafeBytes(of: UInt32(length).littleEndian) { raw in
                for i in 0..<4 { bytes[lengthAt + i] = raw[i] }
            }
        case .dictEntry(let k, let v):
            guard (try? DBusSignature.parseSingle(k.signature))?.isBasic == true else {
                throw DBusWireError.typeMismatch(expected: "a basic type as dictionary key", got: k.signature)
            }
            pad(to: 8)
            try write(k)
            try write(v)
        case .structure(let fields):
            guard !fields.isEmpty else { throw DBusWireError.malformed("an empty structure") }
            pad(to: 8)
            for f in fields { try write(f) }
        case .variant(let inner):
            try appendSignature(inner.signature)
            _ = try DBusSignature.parseSingle(inner.signature)
            try write(inner)
        }
    }
}

/// Reads values in the D-Bus wire format in either byte order (D-Bus Specification 0.41, "Marshaling (Wire
/// Format)"), with strict bounds: every length is checked against the bytes that are there, padding must be zero,
/// booleans 0 or 1, strings valid UTF-8 without NUL and NUL-terminated, container nesting (variants included) at most
/// 64 deep. Anything else throws ``DBusWireError``; nothing traps.
public struct DBusReader: Sendable {
    let bytes: [UInt8]
    let bigEndian: Bool
    /// The read position, counted from the start of the message (alignment is relative to it).
    public private(set) var position: Int
    /// The end of the region this reader may read.
    let end: Int

    /// The deepest nesting of containers, variants included (D-Bus Specification 0.41, "Valid Signatures": 32 arrays
    /// plus 32 structures make 64).
    public static let maxDepth = 64

    public init(bytes: [UInt8], bigEndian: Bool, position: Int = 0, end: Int? = nil) {
        self.bytes = bytes; self.bigEndian = bigEndian; self.position = position; self.end = min(end ?? bytes.count, bytes.count)
    }

    public var isAtEnd: Bool { position >= end }

    mutating func need(_ n: Int) throws {
        guard n >= 0, position <= end, end - position >= n else { throw DBusWireError.truncated(needed: n, available: max(0, end - position)) }
    }

    public mutating func align(_ alignment: Int) throws {
        let padded = (position + alignment - 1) / alignment * alignment
        try need(padded - position)
        for i in position..<padded where bytes[i] != 0 { throw DBusWireError.malformed("non-zero alignment padding at offset \(i)") }
        position = padded
    }

    mutating func readByte() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readInt<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        try align(size)
        try need(size)
        var v: T = 0
        for i in 0..<size {
            let b = T(truncatingIfNeeded: bytes[position + (bigEndian ? i : size - 1 - i)])
            v = (v << 8) | b
        }
        position += size
        return v
    }

    mutating func readStringBody(length: Int) throws -> String {
        try need(length + 1)
        let slice = bytes[position..<(position + length)]
        guard bytes[position + length] == 0 else { throw DBusWireError.malformed("a string is not NUL-terminated") }
        guard !slice.contains(0) else { throw DBusWireError.malformed("a string contains a NUL byte") }
        guard let s = String(validating: slice, as: UTF8.self) else { throw DBusWireError.malformed("a string is not valid UTF-8") }
        position += length + 1
        return s
    }

    mutating func readString() throws -> String {
        let length = try readInt(UInt32.self)
        guard Int(length) <= end - position else { throw DBusWireError.truncated(needed: Int(length) + 1, available: end - position) }
        return try readStringBody(length: Int(length))
    }

    mutating func readSignature() throws -> String {
        let length = Int(try readByte())
        let s = try readStringBody(length: length)
        _ = try DBusSignature.parse(s)
        return s
    }

    /// Reads one value of `type`; `depth` is the nesting of the containers around it.
    public mutating func read(_ type: DBusType, depth: Int = 0) throws -> DBusValue {
        guard depth <= Self.maxDepth else { throw DBusWireError.malformed("containers nested deeper than \(Self.maxDepth)") }
        switch type {
        case .byte: return .byte(try readByte())
        case .boolean:
            let v = try readInt(UInt32.self)
            guard v <= 1 else { throw DBusWireError.malformed("a boolean is \(v), not 0 or 1") }
            return .boolean(v == 1)
        case .int16: return .int16(try readInt(Int16.self))
        case .uint16: return .uint16(try readInt(UInt16.self))
        case .int32: return .int32(try readInt(Int32.self))
        case .uint32: return .uint32(try readInt(UInt32.self))
        case .int64: return .int64(try readInt(Int64.self))
        case .uint64: return .uint64(try readInt(UInt64.self))
        case .double: return .double(Double(bitPattern: try readInt(UInt64.self)))
        case .string: return .string(try readString())
        case .objectPath:
            let p = try readString()
            guard DBusNames.isValidObjectPath(p) else { throw DBusWireError.malformed("invalid object path") }
            return .objectPath(p)
        case .signature: return .signature(try readSignature())
        case .unixFD: throw DBusWireError.malformed("unix file descriptors are not supported")
        case .array(let elementType):
            let length = Int(try readInt(UInt32.self))
            guard length <= DBusWriter.maxArrayBytes else { throw DBusWireError.tooLarge("an array of \(length) bytes") }
            try align(elementType.alignment)
            try need(length)
            let arrayEnd = position + length
            var elements: [DBusValue] = []
            while position < arrayEnd { elements.append(try read(elementType, depth: depth + 1)) }
            guard position == arrayEnd else { throw DBusWireError.malformed("an array's elements overrun its length") }
            return .array(elementSignature: elementType.signature, elements)
        case .dictEntry(let k, let v):
            try align(8)
            return .dictEntry(try read(k, depth: depth + 1), try read(v, depth: depth + 1))
        case .structure(let fields):
            try align(8)
            var values: [DBusValue] = []
            for f in fields { values.append(try read(f, depth: depth + 1)) }
            return .structure(values)
        case .variant:
            let signature = try readSignature()
            let inner = try DBusSignature.parseSingle(signature)
            return .variant(try read(inner, depth: depth + 1))
        }
    }

    /// Reads the values of a whole signature (a message body) in order.
    public mutating func read(signature: String) throws -> [DBusValue] {
        try DBusSignature.parse(signature).map { try read($0) }
    }
}

/// Syntax of object paths and names (D-Bus Specification 0.41, "Valid Object Paths").
public enum DBusNames {
    /// `/` or `/`-separated non-empty elements of `[A-Za-z0-9_]`, no trailing `/`.
    public static func isValidObjectPath(_ p: String) -> Bool {
        let b = Array(p.utf8)
        guard b.first == UInt8(ascii: "/") else { return false }
        if b.count == 1 { return true }
        guard b.last != UInt8(ascii: "/") else { return false }
        var previousSlash = false
        for c in b {
            if c == UInt8(ascii: "/") {
                if previousSlash { return false }
                previousSlash = true
            } else {
                previousSlash = false
                let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
                if !ok { return false }
            }
        }
        return true
    }
}
