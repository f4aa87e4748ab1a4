#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP

/// Register-by-register writes of the OMCCI set's multi-register values, per connector port.
///
/// seeds/000 MODBUS-REGISTERSATZ lists the write-only User ID 1110–1119 as five rows of two registers ("Bytes 0 to 3",
/// "Bytes 4 to 7", …), and energy managers and PLCs that write point by point send it one register (FC06) or one row
/// (FC16 of two) at a time. So a writable multi-register value may be written in any pieces:
///
/// - a write that covers a whole value is taken as it is (as before);
/// - a write that covers part of one is kept, per value, until the value is complete: **when its last register is
///   written** and every other register of it has been written before (later writes of a register replace earlier
///   ones). Writing the last register while others are missing is answered 03 (ILLEGAL DATA VALUE) and changes
///   nothing — the registers written so far stay;
/// - a value left unfinished for ``timeoutSeconds`` after its latest register write is discarded (nothing happens;
///   the next register write starts a new value).
///
/// Registers without a writable definition still answer 02. A pure value: time comes in as `now`.
public struct OMCCIRegisterWrites: Sendable, Equatable {
    /// How long an unfinished value waits for its next register (the same window the gateway gives a partial date).
    public static let timeoutSeconds: Double = 15

    struct Pending: Sendable, Equatable {
        var registers: [UInt16?]
        var lastWrite: Date
    }

    /// Unfinished values by their first address.
    var pending: [UInt16: Pending] = [:]

    public init() {}

    /// Addresses of the values waiting for more registers at `now` (diagnostics, tests).
    public func unfinished(now: Date) -> [UInt16] {
        pending.filter { !Self.expired($0.value, now: now) }.keys.sorted()
    }

    /// Splits a write of `values` from `address` into whole values of `map`: the ones it covers and the ones it
    /// completes. A piece of a value that it does not complete is recorded and yields nothing. `refuse` may answer a
    /// piece of a value with an exception before it is recorded (01 while the server refuses that value in its state).
    /// On failure nothing is recorded.
    public mutating func split(address: UInt16, values: [UInt16], map: RegisterMap, now: Date,
                               refuse: (RegisterDefinition) -> ExceptionCode? = { _ in nil })
        -> Result<[(RegisterDefinition, [UInt16])], ExceptionCode> {
        var next = pending.filter { !Self.expired($0.value, now: now) }
        var out: [(RegisterDefinition, [UInt16])] = []
        var a = Int(address)
        let end = Int(address) + values.count
        while a < end {
            guard let d = map.definition(at: a), d.access.writable else { return .failure(.illegalDataAddress) }
            let first = max(a, d.addresses.lowerBound), last = min(end - 1, d.addresses.upperBound)
            let piece = Array(values[(first - Int(address))...(last - Int(address))])
            if first == d.addresses.lowerBound && last == d.addresses.upperBound {
                next[d.address] = nil
                out.append((d, piece))
            } else {
                if let code = refuse(d) { return .failure(code) }
                var p = next[d.address] ?? Pending(registers: Array(repeating: nil, count: d.registerCount), lastWrite: now)
                for (k, v) in piece.enumerated() { p.registers[first - d.addresses.lowerBound + k] = v }
                p.lastWrite = now
                if last == d.addresses.upperBound {
                    let complete = p.registers.compactMap { $0 }
                    guard complete.count == d.registerCount else { return .failure(.illegalDataValue) }
                    next[d.address] = nil
                    out.append((d, complete))
                } else {
                    next[d.address] = p
                }
            }
            a = last + 1
        }
        pending = next
        return .success(out)
    }

    /// The wall clock was stepped: unfinished values keep their remaining time.
    public mutating func shiftTimers(by seconds: Double) {
        for k in pending.keys { pending[k]?.lastWrite.addTimeInterval(seconds) }
    }

    private static func expired(_ p: Pending, now: Date) -> Bool {
        now.timeIntervalSince(p.lastWrite) >= timeoutSeconds
    }
}
