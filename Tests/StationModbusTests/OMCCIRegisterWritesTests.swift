import Foundation
import ModbusTCP
import Testing
@testable import StationModbus

/// seeds/000 MODBUS-REGISTERSATZ lists the User ID 1110–1119 as five two-register rows: a value written register by
/// register (FC06) or row by row is complete when its last register is written; a partial value times out (issue 29
/// item 6).
@Suite("OMCCI register-by-register writes (seeds/000 1110–1119)")
struct OMCCIRegisterWritesTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let tag = OMCCI.map.definition(at: 1110)!.encode(.text("      04567DAA5F3580"))

    func names(_ r: Result<[(RegisterDefinition, [UInt16])], ExceptionCode>) -> String {
        switch r {
        case .success(let parts): parts.map { "\($0.0.address):\($0.1.count)" }.joined(separator: ",")
        case .failure(let code): "exception \(code.rawValue)"
        }
    }

    @Test("seeds000 1110–1119 written one register at a time (FC06): complete when register 1119 is written")
    func seeds000_1110_registerByRegister() {
        var w = OMCCIRegisterWrites()
        for i in 0..<9 {
            let r = w.split(address: UInt16(1110 + i), values: [Self.tag[i]], map: OMCCI.map, now: Self.t0.addingTimeInterval(Double(i)))
            #expect(names(r) == "", "register \(1110 + i) is kept, nothing acts yet")
        }
        #expect(w.unfinished(now: Self.t0.addingTimeInterval(9)) == [1110])
        let done = w.split(address: 1119, values: [Self.tag[9]], map: OMCCI.map, now: Self.t0.addingTimeInterval(9))
        guard case .success(let parts) = done else { Issue.record("refused: \(done)"); return }
        #expect(parts.count == 1 && parts[0].0.address == 1110 && parts[0].1 == Self.tag)
        #expect(w.unfinished(now: Self.t0.addingTimeInterval(9)).isEmpty)
    }

    @Test("seeds000 1110–1119 written as the table's two-register rows (FC16 of 2), in any order; a register written again replaces")
    func seeds000_1110_twoRegisterRows() {
        var w = OMCCIRegisterWrites()
        #expect(names(w.split(address: 1114, values: Array(Self.tag[4...5]), map: OMCCI.map, now: Self.t0)) == "")
        #expect(names(w.split(address: 1110, values: [0x4141, 0x4141], map: OMCCI.map, now: Self.t0)) == "")
        #expect(names(w.split(address: 1110, values: Array(Self.tag[0...1]), map: OMCCI.map, now: Self.t0)) == "")
        #expect(names(w.split(address: 1112, values: Array(Self.tag[2...3]), map: OMCCI.map, now: Self.t0)) == "")
        #expect(names(w.split(address: 1116, values: Array(Self.tag[6...7]), map: OMCCI.map, now: Self.t0)) == "")
        let done = w.split(address: 1118, values: Array(Self.tag[8...9]), map: OMCCI.map, now: Self.t0)
        guard case .success(let parts) = done else { Issue.record("refused: \(done)"); return }
        #expect(parts.first?.1 == Self.tag)
    }

    @Test("a partial value times out 15 s after its latest register and is discarded; the last register alone is refused with 03")
    func seeds000_1110_partialValueTimesOut() {
        var w = OMCCIRegisterWrites()
        #expect(names(w.split(address: 1110, values: Array(Self.tag[0...4]), map: OMCCI.map, now: Self.t0)) == "")
        #expect(names(w.split(address: 1115, values: Array(Self.tag[5...8]), map: OMCCI.map, now: Self.t0.addingTimeInterval(14))) == "",
                "14 s later: still the same value")
        let late = Self.t0.addingTimeInterval(14 + OMCCIRegisterWrites.timeoutSeconds)
        #expect(w.unfinished(now: late).isEmpty, "discarded \(OMCCIRegisterWrites.timeoutSeconds) s after its latest register")
        #expect(names(w.split(address: 1119, values: [Self.tag[9]], map: OMCCI.map, now: late)) == "exception 3",
                "the last register without the others: ILLEGAL DATA VALUE")
        // Wall clock steps keep the remaining time.
        var s = OMCCIRegisterWrites()
        _ = s.split(address: 1110, values: [Self.tag[0]], map: OMCCI.map, now: Self.t0)
        s.shiftTimers(by: -3600)
        #expect(s.unfinished(now: Self.t0.addingTimeInterval(-3600 + 10)) == [1110])
    }

    @Test("whole writes act at once and drop a partial value; read-only registers answer 02; a refusal (01) comes before a piece is kept")
    func wholeAndRefused() {
        var w = OMCCIRegisterWrites()
        _ = w.split(address: 1110, values: [Self.tag[0]], map: OMCCI.map, now: Self.t0)
        #expect(names(w.split(address: 1110, values: Self.tag, map: OMCCI.map, now: Self.t0)) == "1110:10")
        #expect(w.unfinished(now: Self.t0).isEmpty)
        #expect(names(w.split(address: 131, values: [10, 30], map: OMCCI.map, now: Self.t0)) == "131:1,132:1")
        #expect(names(w.split(address: 100, values: [1], map: OMCCI.map, now: Self.t0)) == "exception 2", "read-only FIRMWARE_VERSION")
        #expect(names(w.split(address: 1110, values: [Self.tag[0]], map: OMCCI.map, now: Self.t0, refuse: { _ in .illegalFunction })) == "exception 1")
        #expect(w.unfinished(now: Self.t0).isEmpty, "a refused piece is not kept")
    }
}
