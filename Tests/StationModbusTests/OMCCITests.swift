import Foundation
import ModbusTCP
import Testing
import EVSECore
@testable import StationModbus

@Suite("OMCCI register set (seeds/000 MODBUS-REGISTERSATZ)")
struct OMCCITests {
    func def(_ address: UInt16) -> RegisterDefinition { OMCCI.map.definition(at: Int(address))! }

    @Test("every register of the seeds/000 table is defined with its access", arguments: [
        (100, RegisterAccess.read), (104, .read), (105, .read), (107, .read), (109, .read), (111, .read), (120, .read), (122, .read),
        (123, .read), (124, .readWrite), (131, .readWrite), (132, .readWrite), (133, .read), (134, .read), (135, .read), (136, .read),
        (137, .read), (138, .read), (139, .read), (140, .read), (141, .read), (142, .read), (144, .read), (146, .read), (148, .read),
        (150, .read), (152, .read), (200, .read), (202, .read), (204, .read), (206, .read), (208, .read), (210, .read), (212, .read),
        (214, .read), (216, .read), (218, .read), (220, .read), (222, .read), (224, .read), (226, .read), (600, .read), (610, .read),
        (611, .read), (612, .read), (613, .readWrite), (614, .readWrite), (615, .readWrite), (620, .read), (621, .read), (630, .read),
        (631, .read), (632, .read), (633, .read), (634, .read), (635, .read), (701, .read), (703, .read), (706, .read), (707, .read),
        (710, .read), (712, .read), (713, .read), (715, .read), (716, .read), (718, .read), (720, .read), (722, .read), (724, .read),
        (726, .read), (728, .read), (740, .read), (741, .read), (743, .read), (745, .read), (1000, .readWrite), (1110, .write),
        (1112, .write), (1114, .write), (1116, .write), (1118, .write),
    ] as [(UInt16, RegisterAccess)])
    func defined(address: UInt16, access: RegisterAccess) {
        #expect(OMCCI.map.definition(at: Int(address))?.access == access)
    }

    @Test("write validation", arguments: [
        (124, [1] as [UInt16], "availability(true)"), (124, [0], "availability(false)"), (124, [2], "3"),
        (131, [16], "safeCurrent(16)"), (131, [81], "3"), (132, [3600], "commTimeout(3600)"), (132, [3601], "3"),
        (1000, [0], "hemsLimit(0)"), (1000, [6], "hemsLimit(6)"), (1000, [5], "3"), (1000, [81], "3"),
        (613, [10], "1"),
    ] as [(UInt16, [UInt16], String)])
    func writes(address: UInt16, registers: [UInt16], expected: String) {
        switch OMCCI.parseWrite(def(address), registers, allowStartStop: true) {
        case .success(let w): #expect("\(w)" == expected)
        case .failure(let e): #expect(String(e.rawValue) == expected)
        }
    }

    @Test("IdTag writes: left-padded with spaces, only with Allow Start/Stop Transaction")
    func idTag() {
        let d = def(1110)
        let regs = d.encode(.text("      04567DAA5F3580"))
        #expect(OMCCI.parseWrite(d, regs, allowStartStop: true) == .success(.idTag("04567DAA5F3580")))
        #expect(OMCCI.parseWrite(d, regs, allowStartStop: false) == .failure(.illegalFunction))
        #expect(OMCCI.parseWrite(d, Array(repeating: 0x2020, count: 10), allowStartStop: true) == .failure(.illegalDataValue))
        #expect(OMCCI.parseWrite(d, d.encode(.text("ab\u{7}cd")), allowStartStop: true) == .failure(.illegalDataValue))
    }

    @Test("status codes of register 104", arguments: [
        (ConnectorStatus.available, 0 as Int64), (.reserved, 2), (.unavailable, 3), (.faulted, 4), (.preparing, 5), (.charging, 6),
        (.suspendedEVSE, 7), (.suspendedEV, 8), (.finishing, 9),
    ])
    func status(status: ConnectorStatus, code: Int64) { #expect(OMCCI.statusCode(status) == code) }

    @Test("times as packed BCD hhmmss (UTC)")
    func bcd() {
        // 1_800_000_000 is 08:00:00 UTC; plus 3:04:05 gives 11:04:05.
        let d = Date(timeIntervalSince1970: 1_800_000_000 + 3 * 3600 + 4 * 60 + 5)
        #expect(OMCCI.hhmmss(d) == 110_405)
        #expect(def(707).encode(.integer(OMCCI.hhmmss(d))) == [0x0011, 0x0405])
        #expect(OMCCI.hhmmss(nil) == 0)
    }

    @Test("the vehicle's departure (ISO 15118) as packed BCD: 701 hhmmss, 703 ddmmyy, both UTC; 0 without one")
    func departure() {
        // 2027-02-28 23:59:58 UTC: the day before a month's end in a year that is not a leap year.
        let d = Date(timeIntervalSince1970: 1_803_859_198)
        #expect(OMCCI.hhmmss(d) == 235_958)
        #expect(OMCCI.ddmmyy(d) == 280_227)
        #expect(def(703).encode(.integer(OMCCI.ddmmyy(d))) == [0x0028, 0x0227])
        #expect(OMCCI.ddmmyy(Date(timeIntervalSince1970: 946_684_800)) == 10_100, "2000-01-01: leading zeros are the BCD's padding")
        #expect(OMCCI.ddmmyy(nil) == 0)
    }
}
