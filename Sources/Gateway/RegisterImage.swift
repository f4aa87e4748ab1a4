import ModbusTCP

/// The gateway's 65,536 holding registers: what the BMS reads, kept up to date by the central system as OCPP
/// messages arrive and as the BMS writes. Encodings per ``SignalFormat``.
public struct RegisterImage: Sendable {
    public private(set) var words: [UInt16]

    public init() { words = Array(repeating: 0, count: 65536) }

    public subscript(_ range: Range<Int>) -> ArraySlice<UInt16> { words[range] }

    /// Stores a value in the registers of a signal (nothing for a charger without registers).
    public mutating func set(_ s: SignalAddress, _ value: RegisterValue) {
        guard s.hasRegisters else { return }
        let regs = Self.definition(s).encode(value)
        let a = s.address
        for i in regs.indices { words[a + i] = regs[i] }
    }

    public mutating func set(_ s: SignalAddress, _ value: Int) { set(s, .integer(Int64(value))) }
    public mutating func set(_ s: SignalAddress, text: String) { set(s, .text(text)) }

    /// Stores registers exactly as written by the BMS.
    public mutating func store(_ address: Int, _ registers: [UInt16]) {
        for i in registers.indices { words[address + i] = registers[i] }
    }

    /// The decoded value of a signal (unavailable for a charger without registers).
    public func value(_ s: SignalAddress) -> RegisterValue {
        guard s.hasRegisters else { return .unavailable }
        let d = Self.definition(s)
        return d.decode(Array(words[s.address..<(s.address + d.registerCount)]))
    }

    /// An integer signal (0 when it holds no number).
    public func integer(_ s: SignalAddress) -> Int {
        if case .integer(let v) = value(s) { return Int(v) }
        return 0
    }

    /// A string signal.
    public func text(_ s: SignalAddress) -> String {
        if case .text(let t) = value(s) { return t }
        return ""
    }

    static func definition(_ s: SignalAddress) -> RegisterDefinition {
        let spec = s.spec
        return RegisterDefinition(UInt16(s.address), spec.name, spec.format.registerType, access: .readWrite)
    }

    /// Checks registers written to a string signal: printable ASCII, then only NULs. Nil when valid, else why not.
    public static func stringProblem(_ registers: [UInt16]) -> String? {
        var ended = false
        for r in registers {
            for byte in [UInt8(r >> 8), UInt8(r & 0xFF)] {
                if byte == 0 { ended = true; continue }
                if ended { return "characters after the terminating NUL" }
                if byte < 0x20 || byte > 0x7E { return "byte 0x\(String(byte, radix: 16)) is not printable ASCII" }
            }
        }
        return nil
    }
}
