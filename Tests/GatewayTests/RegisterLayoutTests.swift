import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

@Suite("seeds/003 Appendix 2 register layout")
struct RegisterLayoutTests {
    static let expectedAddresses: [(SignalAddress, Int)] = [
        (.charger(slot: 0, .communicationStatus), 100),
        (.charger(slot: 1, .authorizationFlag), 2164),
        (.charger(slot: 19, .remoteStopStatus), 100 + 19 * 2000 + 401),
        (.charger(slot: 2, .startTransactionId), 4228),
        (.charger(slot: 0, .stopReason), 250),
        (.charger(slot: 0, .sendLocalListResult), 463),
        (.connector(slot: 0, connector: 0, .unlockConnector), 612),
        (.connector(slot: 1, connector: 7, .status), 512 + 100 + 2000 + 700 + 2),
        (.connector(slot: 0, connector: 1, .value(.voltage, phase: 2)), 712 + 83),
        (.connector(slot: 0, connector: 1, .units(.temperature)), 712 + 78),
        (.connector(slot: 0, connector: 1, .transactionTimestamp), 712 + 98),
        (.system(.year), 6),
    ]

    @Test("addresses follow the seed's formulas", arguments: expectedAddresses)
    func addresses(_ s: SignalAddress, _ address: Int) {
        #expect(s.address == address)
    }

    @Test("every signal fits its block and no two overlap")
    func noOverlap() {
        var used = Set<Int>()
        for s in ChargerSignal.allCases {
            let spec = s.spec
            for a in spec.offset..<(spec.offset + spec.format.registerCount) { #expect(used.insert(a).inserted, "\(s) overlaps at \(a)") }
            #expect(spec.offset + spec.format.registerCount <= 406)
        }
        used = []
        for s in ConnectorSignal.all {
            let spec = s.spec
            for a in spec.offset..<(spec.offset + spec.format.registerCount) { #expect(used.insert(a).inserted, "\(s) overlaps at \(a)") }
        }
        #expect(used == Set(0..<100), "the connector block is exactly offsets 0…99")
    }

    @Test("reads outside the map answer 02; not-used registers inside a block read 0")
    func outside() {
        let h = Harness()
        #expect(h.read(7, 1) == .failure(.illegalDataAddress))
        #expect(h.read(100 + 47, 1) == .failure(.illegalDataAddress))
        #expect(h.read(100 + 40, 10) == .failure(.illegalDataAddress), "crosses the end of the information block")
        #expect(h.read(100 + 75, 2) == .success([0, 0]))
        #expect(h.read(2100, 1) == .failure(.illegalDataAddress), "slot 1 is not configured")
        #expect(h.read(612 + 300, 1) == .failure(.illegalDataAddress), "CP1 has connectors 0…2 only")
        #expect(h.read(100 + 3 * 2000, 47).map(\.count) == .success(47), "CP2 is in slot 3")
        #expect(h.read(100, 125).map(\.count) == .failure(.illegalDataAddress))
        #expect(h.read(100 + 256, 125).map(\.count) == .success(125))
    }

    @Test("encodings: strings high byte first, floats ABCD, DateTime epoch in two registers")
    func encodings() {
        var image = RegisterImage()
        image.set(.cp1(.chargePointVendor), text: "AB")
        #expect(image[127..<129] == [0x4142, 0])
        image.set(.cp1(1, .value(.currentImport, phase: 0)), .float(16.5))
        #expect(Array(image[723..<725]) == [0x4184, 0x0000])
        image.set(.cp1(.startTimestamp), 1_800_000_000)
        #expect(Array(image[209..<211]) == [UInt16(1_800_000_000 >> 16), UInt16(1_800_000_000 & 0xFFFF)])
        #expect(RegisterImage.stringProblem([0x4142, 0x0043]) == "characters after the terminating NUL")
        #expect(RegisterImage.stringProblem([0x4109]) != nil)
        #expect(RegisterImage.stringProblem([0x4142, 0x4300, 0]) == nil)
    }

    @Test("External mode leaves out the BMS-only signals and refuses writes with 01")
    func external() {
        var h = Harness(mode: .external)
        #expect(h.read(0, 7) == .failure(.illegalDataAddress))
        #expect(h.read(100 + 64, 1) == .failure(.illegalDataAddress))
        #expect(h.read(100, 47).map(\.count) == .success(47))
        #expect(h.read(612, 100).map(\.count) == .success(100))
        #expect(h.write(613, [0]) == .illegalFunction)
    }
}
