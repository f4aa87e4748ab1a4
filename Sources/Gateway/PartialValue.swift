#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP

/// One piece of a Modbus write, split along the signals of the map.
enum RegisterWrite {
    /// Every register of the signal.
    case whole(SignalAddress, [UInt16])
    /// Some registers of a multi-register signal, from `offset` on.
    case part(SignalAddress, offset: Int, [UInt16])
}

/// A multi-register value (an Id Tag, a Parent Id Tag, an Expiration Date) the BMS is writing one register at a time.
///
/// seeds/003 §2.3.1.7: "the BMS should write these registers one by one and one after another" — a BMS that maps each
/// register to a point of its own writes a 10-register Id Tag with ten function 6 writes, so Remote Start, Reserve Now
/// and Send Local List must not need one function 16 write covering the whole value.
///
/// - The registers written read back at once (a W register reads what was last written), the others keep their
///   value: a BMS that writes only the points that changed (the low word of a date) completes the value too.
/// - The value is **complete** when its last register is written, when every register of it was written, or when the
///   BMS raises the Flag (or Processed) of the charger's operation: then it is checked as a whole (printable ASCII,
///   a NUL ends the text) and an invalid value is refused with 03 at that write.
/// - A value that is never completed is **discarded** ``CentralSystem/partialValueTimeoutSeconds`` after its last
///   write (the 15 s the seed gives the BMS between the writes of the date registers, §2.3.1.1): its registers go
///   back to what they held before, and a warning names the signal.
struct PartialValue: Sendable {
    /// The value's registers before the first write, restored when the value is discarded.
    var before: [UInt16]
    /// Offsets of the registers written so far.
    var written: Set<Int>
    var lastWriteAt: Date
}

extension CentralSystem {
    /// A partly written multi-register value is discarded this long after its last write (the window seeds/003 §2.3.1.1
    /// gives the date registers).
    public static let partialValueTimeoutSeconds = 15.0

    /// Stores some registers of a value; returns the whole value when it is complete.
    mutating func writePart(_ s: SignalAddress, offset: Int, _ regs: [UInt16], now: Date) -> [UInt16]? {
        let count = s.spec.format.registerCount
        var p = partialValues[s.address]
            ?? PartialValue(before: Array(image[s.address..<(s.address + count)]), written: [], lastWriteAt: now)
        image.store(s.address + offset, regs)
        p.written.formUnion(offset..<(offset + regs.count))
        p.lastWriteAt = now
        partialValues[s.address] = p
        guard p.written.contains(count - 1) || p.written.count == count else { return nil }
        return Array(image[s.address..<(s.address + count)])
    }

    /// Raising a Flag or Processed of slot `slot` completes the values of that operation (the charger signals at the
    /// offsets `block`) still being written: each is checked whole; an invalid one refuses the Flag with 03.
    mutating func completePartialValues(slot: Int, block: Range<Int>) throws(ModbusRefusal) {
        for address in partialValues.keys.sorted() {
            guard let s = layout.signal(at: address), case .charger(slot, let c) = s, block.contains(c.spec.offset) else { continue }
            let regs = Array(image[address..<(address + s.spec.format.registerCount)])
            if let problem = problem(s, regs) {
                throw ModbusRefusal(.illegalDataValue, "\(s.spec.name) (\(address)), written register by register: \(problem)")
            }
            partialValues[address] = nil
        }
    }

    /// Discards the values not completed within ``partialValueTimeoutSeconds`` of their last write (from ``tick(now:)``).
    mutating func expirePartialValues(now: Date) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        for (address, p) in partialValues.sorted(by: { $0.key < $1.key })
        where now.timeIntervalSince(p.lastWriteAt) >= Self.partialValueTimeoutSeconds {
            partialValues[address] = nil
            image.store(address, p.before)
            let name = layout.signal(at: address)?.spec.name ?? "register \(address)"
            let registers = p.written.sorted().map { String(address + $0) }.joined(separator: ", ")
            actions.append(.log(.init(.warning, nil, "\(name) (\(address)): only register(s) \(registers) written and not completed within \(Int(Self.partialValueTimeoutSeconds)) s; the partial value was discarded")))
        }
        return actions
    }
}
