/// The bit-packed EXI stream (W3C EXI 1.0 Second Edition §5, §7.1): bits most significant first, no alignment.
/// The reader never reads past its bytes and never allocates from a length it has not checked against what is left.

/// A stream that does not match the grammar, a value outside its schema's facets, or a value this codec cannot carry:
/// always with the bit position where the decoder stood (0 for the encoder's value errors) and what was expected.
public struct EXIError: Error, Equatable, CustomStringConvertible, Sendable {
    public let bitPosition: Int
    public let reason: String

    public init(bitPosition: Int, _ reason: String) {
        self.bitPosition = bitPosition
        self.reason = reason
    }

    public var description: String { "EXI error at bit \(bitPosition): \(reason)" }
}

/// The number of bits of a code with `count` values: ceil(log2(count)), 0 for one value (EXI §6.2, §7.1.9).
@inline(__always)
func exiBitWidth(_ count: Int) -> Int {
    count <= 1 ? 0 : (Int.bitWidth - (count - 1).leadingZeroBitCount)
}

struct EXIBitReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remainingBits: Int { bytes.count * 8 - position }

    func error(_ reason: String) -> EXIError { EXIError(bitPosition: position, reason) }

    /// An n-bit unsigned integer (EXI §7.1.9), n ≤ 64.
    mutating func read(bits n: Int) throws -> UInt64 {
        guard n <= remainingBits else { throw error("stream ends, \(n) more bits expected") }
        var value: UInt64 = 0
        var left = n
        while left > 0 {
            let byte = bytes[position >> 3]
            let offset = position & 7
            let take = min(8 - offset, left)
            let chunk = (UInt64(byte) >> UInt64(8 - offset - take)) & ((1 << UInt64(take)) - 1)
            value = (value << UInt64(take)) | chunk
            left -= take
            position += take
        }
        return value
    }

    mutating func readBoolean() throws -> Bool { try read(bits: 1) == 1 }

    /// An unsigned integer (EXI §7.1.6): octets of 7 value bits, least significant group first, high bit = more.
    /// Values beyond 64 bits are an error (the schemas of this codec bound theirs to 64 bits).
    mutating func readUnsigned() throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let octet = try read(bits: 8)
            let group = octet & 0x7F
            if shift == 63, group > 1 || octet & 0x80 != 0 {
                throw EXIError(bitPosition: start, "unsigned integer wider than 64 bits")
            }
            value |= group << shift
            if octet & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// An integer (EXI §7.1.5): a sign bit, then the magnitude as an unsigned integer (negative: magnitude − 1).
    mutating func readSigned() throws -> Int64 {
        let start = position
        let negative = try readBoolean()
        let magnitude = try readUnsigned()
        if negative {
            guard magnitude <= UInt64(Int64.max) else { throw EXIError(bitPosition: start, "integer below Int64.min") }
            return -Int64(magnitude) - 1
        }
        guard magnitude <= UInt64(Int64.max) else { throw EXIError(bitPosition: start, "integer above Int64.max") }
        return Int64(magnitude)
    }
}

struct EXIBitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 8  // bits used in the last byte

    init() { bytes.reserveCapacity(64) }

    mutating func write(_ value: UInt64, bits n: Int) {
        var left = n
        while left > 0 {
            if used == 8 {
                bytes.append(0)
                used = 0
            }
            let take = min(8 - used, left)
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(left - take)) & ((1 << UInt64(take)) - 1))
            bytes[bytes.count - 1] |= chunk << UInt8(8 - used - take)
            used += take
            left -= take
        }
    }

    mutating func writeBoolean(_ value: Bool) { write(value ? 1 : 0, bits: 1) }

    mutating func writeUnsigned(_ value: UInt64) {
        var v = value
        repeat {
            let group = v & 0x7F
            v >>= 7
            write(v == 0 ? group : group | 0x80, bits: 8)
        } while v != 0
    }

    mutating func writeSigned(_ value: Int64) {
        if value < 0 {
            writeBoolean(true)
            writeUnsigned(UInt64(-(value + 1)))
        } else {
            writeBoolean(false)
            writeUnsigned(UInt64(value))
        }
    }
}
