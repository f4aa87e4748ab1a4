import Foundation
import Testing
import ChargePoint
import OCPP16

/// What the mobile modem adds to the OCPP conversation (issue 24 item 3): WeakSignal as a StatusNotification of the
/// station (seeds/002 §3: the station stays available) and the SIM's ICCID and IMSI in BootNotification (seeds/002 lists
/// both; OCPP 1.6 §6.2).
@Suite("Mobile modem in OCPP: WeakSignal and the SIM identifiers")
struct ModemReportingTests {
    typealias H = ChargePointHarness

    @Test("seeds002_3 WeakSignal is reported on connector 0 when raised and NoError when cleared; charging is not stopped")
    func seeds002_3_weakSignalReported() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        h.station.setWeakSignal(true, now: h.now)
        h.run(2)
        let raised = h.statusReports(0, since: mark)
        #expect(raised.last?.errorCode == "WeakSignal")
        #expect(raised.last?.status == "Available", "a weak signal stops nothing")
        let cleared = h.mark
        h.station.setWeakSignal(false, now: h.now)
        h.run(2)
        #expect(h.statusReports(0, since: cleared).last?.errorCode == "NoError")
    }

    @Test("BootNotification carries the SIM's ICCID and IMSI once the modem service knows them, CiString20 at most")
    func bootNotificationSIM() throws {
        var h = try H()
        h.cp.setSIM(iccid: "89883030000045459887", imsi: "206018037157525")
        let mark = h.mark
        h.connect()
        let boot = try #require(h.calls(BootNotificationRequest.action, since: mark).first.flatMap { try? BootNotificationRequest(json: $0) })
        #expect(boot.iccid == "89883030000045459887" && boot.imsi == "206018037157525")
        h.cp.setSIM(iccid: "", imsi: "")
        #expect(h.cp.sim.iccid == nil && h.cp.sim.imsi == nil, "unknown identifiers are left out, not sent empty")
        h.cp.setSIM(iccid: String(repeating: "1", count: 25), imsi: "1")
        #expect(h.cp.sim.iccid?.count == 20)
    }
}
