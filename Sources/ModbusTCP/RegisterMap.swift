/// How a value is laid out in 16-bit registers.
public enum RegisterType: Sendable, Equatable {
    case uint16
    case int16
    case uint32
    case int32
    case float32
    /// IEEE 754 double in 4 registers (e.g. Siemens PAC energy counters).
    case float64
    case uint64
    case int64
    /// Text of `registers` × 2 bytes.
    case ascii(registers: Int)
    /// Packed BCD digits in `registers` (e.g. hhmmss in 2 registers).
    case bcd(registers: Int)

    /// Number of registers the type occupies.
    public var registerCount: Int {
        switch self {
        case .uint16, .int16: 1
        case .uint32, .int32, .float32: 2
        case .uint64, .int64, .float64: 4
        case .ascii(let n), .bcd(let n): n
        }
    }
}

/// Order of the 16-bit words of a multi-register value.
public enum WordOrder: Sendable, Equatable {
    /// "ABCD": high word at the lower address (Modbus default).
    case highFirst
    /// "CDAB": low word at the lower address.
    case lowFirst
}

/// Order of the two bytes within each register.
public enum ByteOrder: Sendable, Equatable {
    case bigEndian
    case littleEndian
}

/// Whether a register may be read and written.
public enum RegisterAccess: Sendable, Equatable {
    case read
    case readWrite
    case write

    public var readable: Bool { self != .write }
    public var writable: Bool { self != .read }
}

/// A value read from or written to registers.
public enum RegisterValue: Sendable, Equatable {
    case integer(Int64)
    case float(Double)
    case text(String)
    /// All bits set (0xFFFF…): "not available".
    case unavailable
}

/// One register (or group of registers holding one value) of a map.
public struct RegisterDefinition: Sendable, Equatable {
    public var address: UInt16
    public var name: String
    public var type: RegisterType
    public var wordOrder: WordOrder
    public var byteOrder: ByteOrder
    /// Physical value = raw × scale (e.g. 0.1 for tenths).
    public var scale: Double
    public var unit: String?
    public var access: RegisterAccess

    public init(_ address: UInt16, _ name: String, _ type: RegisterType, access: RegisterAccess = .read, scale: Double = 1,
                unit: String? = nil, wordOrder: WordOrder = .highFirst, byteOrder: ByteOrder = .bigEndian) {
        self.address = address; self.name = name; self.type = type; self.access = access; self.scale = scale
        self.unit = unit; self.wordOrder = wordOrder; self.byteOrder = byteOrder
    }

    public var registerCount: Int { type.registerCount }
    /// The addresses the definition occupies.
    public var addresses: ClosedRange<Int> { Int(address)...(Int(address) + registerCount - 1) }

    /// Encodes a physical value into registers (out-of-range integers are clamped to the type).
    public func encode(_ value: RegisterValue) -> [UInt16] {
        let n = registerCount
        var bytes: [UInt8]
        switch (type, value) {
        case (_, .unavailable):
            return Array(repeating: 0xFFFF, count: n)
        case (.ascii, .text(let s)):
            bytes = Array(s.utf8.prefix(n * 2))
            bytes += Array(repeating: 0, count: n * 2 - bytes.count)
        case (.bcd, .integer(let v)):
            var digits = String(max(0, v))
            digits = String(repeating: "0", count: max(0, n * 4 - digits.count)) + digits
            bytes = stride(from: 0, to: n * 4, by: 2).map { i -> UInt8 in
                let a = digits.index(digits.startIndex, offsetBy: i)
                let hi = UInt8(digits[a].wholeNumberValue ?? 0), lo = UInt8(digits[digits.index(after: a)].wholeNumberValue ?? 0)
                return hi << 4 | lo
            }
        case (.float32, _):
            let f = Float(physical(value) / scale)
            bytes = bigEndianBytes(UInt64(f.bitPattern), count: 4)
        case (.float64, _):
            bytes = bigEndianBytes((physical(value) / scale).bitPattern, count: 8)
        default:
            let raw = (physical(value) / scale).rounded()
            let bits: UInt64
            switch type {
            case .uint16: bits = UInt64(raw.clamped(0, 65535))
            case .int16: bits = UInt64(UInt16(bitPattern: Int16(raw.clamped(-32768, 32767))))
            case .uint32: bits = UInt64(raw.clamped(0, 4_294_967_295))
            case .int32: bits = UInt64(UInt32(bitPattern: Int32(raw.clamped(-2_147_483_648, 2_147_483_647))))
            case .uint64: bits = raw <= 0 ? 0 : raw >= 1.8446744073709552e19 ? .max : UInt64(raw)
            case .int64: bits = UInt64(bitPattern: Int64(raw.clamped(-9.2e18, 9.2e18)))
            default: bits = 0
            }
            bytes = bigEndianBytes(bits, count: n * 2)
        }
        return arrange(bytes)
    }

    /// Decodes registers into a physical value.
    public func decode(_ registers: [UInt16]) -> RegisterValue {
        guard registers.count == registerCount else { return .unavailable }
        let bytes = natural(registers)
        switch type {
        case .ascii:
            return .text(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        case .bcd:
            var v: Int64 = 0
            for b in bytes { v = v * 100 + Int64(b >> 4) * 10 + Int64(b & 0x0F) }
            return .integer(v)
        case .float32:
            let bits = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return .float(Double(Float(bitPattern: bits)) * scale)
        case .float64:
            return .float(Double(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) * scale)
        default:
            let bits = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let raw: Double
            switch type {
            case .int16: raw = Double(Int16(bitPattern: UInt16(bits)))
            case .int32: raw = Double(Int32(bitPattern: UInt32(bits)))
            case .int64: raw = Double(Int64(bitPattern: bits))
            default: raw = Double(bits)
            }
            return scale == 1 && raw == raw.rounded() && abs(raw) < 9e15 ? .integer(Int64(raw)) : .float(raw * scale)
        }
    }

    private func physical(_ v: RegisterValue) -> Double {
        switch v {
        case .integer(let i): Double(i)
        case .float(let d): d.isFinite ? d : 0
        case .text, .unavailable: 0
        }
    }

    private func bigEndianBytes(_ v: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { i in UInt8(truncatingIfNeeded: v >> UInt64(8 * (count - 1 - i))) }
    }

    /// Big-endian value bytes → registers in this definition's word and byte order.
    private func arrange(_ bytes: [UInt8]) -> [UInt16] {
        var words = stride(from: 0, to: bytes.count, by: 2).map { (UInt16(bytes[$0]) << 8) | UInt16(bytes[$0 + 1]) }
        if wordOrder == .lowFirst { words.reverse() }
        if byteOrder == .littleEndian { words = words.map(\.byteSwapped) }
        return words
    }

    /// Registers in this definition's order → big-endian value bytes.
    private func natural(_ registers: [UInt16]) -> [UInt8] {
        var words = registers
        if byteOrder == .littleEndian { words = words.map(\.byteSwapped) }
        if wordOrder == .lowFirst { words.reverse() }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension Double {
    fileprivate func clamped(_ lo: Double, _ hi: Double) -> Double { Swift.min(Swift.max(self, lo), hi) }
}

/// A declarative register map, shared by servers (which answer from it) and clients (which decode with it).
/// Addresses inside a block that no definition covers read as 0; addresses outside every block answer
/// exception 02.
///
/// A read is answered on the server's network thread for every request (issue 31 item 3: Modbus latency at libmodbus's
/// level), so it finds its definitions by a binary search over their sorted, non-overlapping spans and walks them in
/// order — no hashing per register and no copy of a definition for the plain 16-bit ones.
public struct RegisterMap: Sendable {
    public let definitions: [RegisterDefinition]
    /// Address ranges that may be read (gaps inside read as 0), sorted and merged.
    public let blocks: [ClosedRange<Int>]
    /// What a read needs of each definition, in the order of ``definitions`` (sorted by address, non-overlapping).
    private let spans: [Span]
    /// Whether any definition is write-only (a read that touches one answers 02).
    private let hasWriteOnly: Bool

    private struct Span: Sendable {
        /// The first and last address of the definition.
        var lower: Int, upper: Int
        /// A plain big-endian 16-bit register without scale: an integer value is its register.
        var plain: Bool
        var readable: Bool
    }

    public init(definitions: [RegisterDefinition], blocks: [ClosedRange<Int>]? = nil) {
        self.definitions = definitions.sorted { $0.address < $1.address }
        var spans: [Span] = []
        spans.reserveCapacity(self.definitions.count)
        for d in self.definitions {
            if let last = spans.last {
                precondition(Int(d.address) > last.upper, "register \(d.address) defined twice")
            }
            spans.append(Span(lower: Int(d.address), upper: d.addresses.upperBound,
                              plain: d.type == .uint16 && d.scale == 1 && d.byteOrder == .bigEndian, readable: d.access.readable))
        }
        self.spans = spans
        hasWriteOnly = spans.contains { !$0.readable }
        var merged: [ClosedRange<Int>] = []
        for b in (blocks ?? self.definitions.map { $0.addresses }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, b.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, b.upperBound)
            } else {
                merged.append(b)
            }
        }
        self.blocks = merged
    }

    /// Whether every address of `range` lies in one readable block (binary search over the merged blocks).
    public func readable(_ range: Range<Int>) -> Bool {
        var lo = 0, hi = blocks.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let b = blocks[mid]
            if range.lowerBound < b.lowerBound { hi = mid - 1 } else if range.lowerBound > b.upperBound { lo = mid + 1 } else {
                return range.upperBound - 1 <= b.upperBound
            }
        }
        return false
    }

    /// The index of the first definition that ends at or after `address` (``definitions``' count when none does).
    private func firstSpan(endingAtOrAfter address: Int) -> Int {
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upper < address { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The definition covering `address`.
    public func definition(at address: Int) -> RegisterDefinition? {
        let i = firstSpan(endingAtOrAfter: address)
        return i < spans.count && spans[i].lower <= address ? definitions[i] : nil
    }

    /// The definition named `name`.
    public func definition(named name: String) -> RegisterDefinition? { definitions.first { $0.name == name } }

    /// Reads `quantity` registers at `address`, taking values from `value`. Exception 02 when any address lies
    /// outside the readable blocks or belongs to a write-only register.
    public func read(address: UInt16, quantity: UInt16, _ value: (RegisterDefinition) -> RegisterValue) -> Result<[UInt16], ExceptionCode> {
        read(address: address, quantity: quantity, definitionAt: { value(definitions[$0]) })
    }

    /// Reads `quantity` registers at `address`, taking each definition's value from `value(firstAddress)`, the address
    /// of the definition's first register; exceptions as ``read(address:quantity:_:)``.
    ///
    /// The servers' read path: handing a definition to a closure copies it (its name and unit are strings), and a read of
    /// 125 plain registers made those copies half of the server's own work per request (issue 31 item 3).
    public func read(address: UInt16, quantity: UInt16, valueAt value: (UInt16) -> RegisterValue) -> Result<[UInt16], ExceptionCode> {
        read(address: address, quantity: quantity, definitionAt: { value(UInt16(truncatingIfNeeded: spans[$0].lower)) })
    }

    /// The reads' walk: `value(i)` gives the value of `definitions[i]`.
    private func read(address: UInt16, quantity: UInt16, definitionAt value: (Int) -> RegisterValue) -> Result<[UInt16], ExceptionCode> {
        let range = Int(address)..<(Int(address) + Int(quantity))
        guard readable(range) else { return .failure(.illegalDataAddress) }
        let first = firstSpan(endingAtOrAfter: range.lowerBound)
        if hasWriteOnly {
            var i = first
            while i < spans.count, spans[i].lower < range.upperBound {
                if !spans[i].readable { return .failure(.illegalDataAddress) }
                i += 1
            }
        }
        // The walk over unsafe buffers: a read of 125 plain registers is the servers' most frequent request, and the
        // checked subscripts (bounds of `spans` and `out`, `out`'s uniqueness) were a third of this loop's time (perf,
        // issue 31 item 3). The indices are in bounds by construction: `i < spans.count`, and a plain span is one
        // register (`uint16`) whose address lies in `range` (it ends at or after its start, and begins before its end).
        let out = [UInt16](unsafeUninitializedCapacity: range.count) { out, initialized in
            out.initialize(repeating: 0)
            initialized = range.count
            spans.withUnsafeBufferPointer { spans in
                var i = first
                while i < spans.count, spans[i].lower < range.upperBound {
                    let span = spans[i]
                    let v = value(i)
                    if span.plain, case .integer(let n) = v {
                        assert(range.contains(span.lower))
                        out[span.lower - range.lowerBound] = UInt16(clamping: n)
                    } else {
                        // A multi-register value may begin before or end after the range: only its part inside is answered.
                        for (k, r) in definitions[i].encode(v).enumerated() where range.contains(span.lower + k) {
                            out[span.lower + k - range.lowerBound] = r
                        }
                    }
                    i += 1
                }
            }
        }
        return .success(out)
    }

    /// Splits a write into whole definitions. Exception 02 (ILLEGAL DATA ADDRESS) for addresses without a writable
    /// definition — a read-only register, also a single register of a read-only multi-register value — and 03 (ILLEGAL
    /// DATA VALUE, "the implied length is incorrect") for writes that cover only part of a writable multi-register value.
    ///
    /// - SeeAlso: Modbus Application Protocol Specification V1.1b3 §7 (exception codes 02 and 03).
    public func writes(address: UInt16, values: [UInt16]) -> Result<[(RegisterDefinition, [UInt16])], ExceptionCode> {
        var result: [(RegisterDefinition, [UInt16])] = []
        var a = Int(address)
        let end = Int(address) + values.count
        while a < end {
            guard let d = definition(at: a), d.access.writable else { return .failure(.illegalDataAddress) }
            guard Int(d.address) == a, d.addresses.upperBound < end else { return .failure(.illegalDataValue) }
            let start = a - Int(address)
            result.append((d, Array(values[start..<(start + d.registerCount)])))
            a += d.registerCount
        }
        return .success(result)
    }
}
