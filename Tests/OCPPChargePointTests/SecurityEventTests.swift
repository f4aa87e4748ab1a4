import Foundation
import Testing
import ChargePoint
import EVSECore
import Firmware
import OCPP16
import Persistence

/// Security events, the security log and GetLog (OCPP 1.6 security whitepaper ed. 3 §8, use cases A04 and N01), in
/// process: frames in, frames out, the store in SQLite in memory, restarts and `kill -9` as the harness models them.
@Suite("Security events and GetLog, in process")
struct SecurityEventTests {
    typealias H = ChargePointHarness

    private func events(_ h: H, since mark: Int = 0) -> [String] {
        h.calls(SecurityEventNotificationRequest.action, since: mark).compactMap { if case .string(let s) = $0["type"] { s } else { nil } }
    }

    private func eventIDs(_ h: H) -> [String] {
        h.sent.compactMap { if case .call(let id, SecurityEventNotificationRequest.action, _) = $0 { id } else { nil } }
    }

    @Test("whitepaper A04.FR.02: a critical event raised offline is queued durably, survives kill -9 and is delivered once after the reconnect")
    func whitepaper_A04_FR_02_criticalEventDeliveredAfterReconnectOnce() throws {
        var h = try H()
        h.connect()
        h.event(.disconnected)
        h.event(.securityEvent(.tamperDetectionActivated, techInfo: "lid opened"))
        h.run(1)
        #expect(events(h).isEmpty, "offline")
        try h.kill9()  // between persisting and sending
        h.run(3)
        #expect(events(h) == ["TamperDetectionActivated"])
        h.run(10)
        #expect(events(h).count == 1, "answered: never sent again")
        #expect(try h.db.transactionQueueCount() == 0)
        #expect(try h.db.securityLog(from: nil, to: nil, limit: 10).map(\.type) == ["TamperDetectionActivated"])
    }

    @Test("whitepaper A04: a notification sent but not answered before kill -9 is sent again with the same message id (the central system can recognise it)")
    func whitepaper_A04_sentNotAnsweredResentWithSameID() throws {
        var h = try H()
        h.unanswered = [SecurityEventNotificationRequest.action]
        h.connect()
        h.event(.securityEvent(.resetOrReboot, techInfo: nil))
        h.run(1)
        #expect(eventIDs(h).count == 1)
        try h.kill9()
        h.unanswered = []
        h.run(3)
        let ids = eventIDs(h)
        #expect(ids.count == 2 && ids[0] == ids[1])
        h.run(10)
        #expect(eventIDs(h).count == 2)
    }

    @Test("whitepaper A04: a non-critical event is sent while online; raised offline it is only logged")
    func whitepaper_A04_nonCriticalOnlyOnline() throws {
        var h = try H()
        h.connect()
        h.event(.securityEvent(.invalidFirmwareSignature, techInfo: "a"))
        h.run(1)
        #expect(events(h) == ["InvalidFirmwareSignature"])
        h.event(.disconnected)
        h.event(.securityEvent(.invalidCentralSystemCertificate, techInfo: "b"))
        h.connect(run: 3)
        #expect(events(h) == ["InvalidFirmwareSignature"])
        #expect(try h.db.securityLog(from: nil, to: nil, limit: 10).map(\.type) == ["InvalidFirmwareSignature", "InvalidCentralSystemCertificate"])
    }

    @Test("SteVe answers SecurityEventNotification with CALLERROR NotImplemented: the message is retired at once and the queue behind it goes on")
    func steve_notImplementedDoesNotBlockTheQueue() throws {
        var h = try H()
        h.callErrors = [SecurityEventNotificationRequest.action: .notImplemented]
        h.connect()
        h.event(.disconnected)
        h.event(.securityEvent(.resetOrReboot, techInfo: nil))
        h.event(.securityEvent(.settingSystemTime, techInfo: nil))
        h.connect(run: 3)
        #expect(events(h) == ["ResetOrReboot", "SettingSystemTime"], "each tried once")
        #expect(try h.db.transactionQueueCount() == 0)
        try h.charging()
        #expect(h.calls(StartTransactionRequest.action).count == 1)
    }

    @Test("whitepaper §8: Reset raises ResetOrReboot before the restart; it is delivered")
    func whitepaper_8_resetOrReboot() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        _ = try h.call(ResetRequest(type: .soft))
        h.run(1)
        try h.restart()
        h.run(3)
        #expect(events(h, since: mark) == ["ResetOrReboot"])
    }

    @Test("whitepaper §8: the station clock set from the central system's time raises SettingSystemTime")
    func whitepaper_8_settingSystemTime() throws {
        var h = try H()
        h.backendClockOffsetSeconds = 3600
        h.connect(run: 3)
        #expect(events(h) == ["SettingSystemTime"])
    }

    @Test("whitepaper §8: malformed frames of the central system raise InvalidMessages, at most once a minute")
    func whitepaper_8_invalidMessagesRateLimited() throws {
        var h = try H()
        h.connect()
        for _ in 0..<5 { h.event(.received("{oops")) }
        _ = try h.send("ChangeAvailability", .object(["connectorId": .string("x"), "type": .string("Inoperative")]))
        h.run(1)
        #expect(events(h) == ["InvalidMessages"])
        h.run(60)
        h.event(.received("[2,\"z\",\"Reset\",{}]"))
        h.run(1)
        #expect(events(h) == ["InvalidMessages", "InvalidMessages"])
        let last = try #require(h.calls(SecurityEventNotificationRequest.action).last.flatMap { try? SecurityEventNotificationRequest(json: $0) })
        #expect(last.techInfo?.contains("and 5 more") == true)
        // An unknown action is no malformed frame (NotImplemented).
        _ = try h.send("FooBar", .object([:]))
        h.run(61)
        #expect(events(h).count == 2)
    }

    @Test("whitepaper §8: a change of a security parameter through any path is ReconfigurationOfSecurityParameters; others are not")
    func whitepaper_8_securityParameters() {
        #expect(SecurityParameters.changed(["HeartbeatInterval", "AuthorizationKey", "AuthorizationKey", "CpoName"], secretKeys: []) == ["AuthorizationKey", "CpoName"])
        #expect(SecurityParameters.changed(["DLMNetworkKey"], secretKeys: ["DLMNetworkKey"]) == ["DLMNetworkKey"])
        #expect(SecurityParameters.changed(["MeterValueSampleInterval"], secretKeys: ["DLMNetworkKey"]).isEmpty)
    }

    // MARK: GetLog (N01)

    @Test("TC_079 GetLog(SecurityLog): Accepted with the file name, the upload, Uploading then Uploaded with the requestId")
    func TC_079_getSecurityLog() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        let answer = try h.call(GetLogRequest(log: LogParameters(remoteLocation: "ftp://logs.invalid/"), logType: .securityLog, requestId: 42))
        #expect(answer.status == .accepted)
        let name = try #require(answer.filename)
        #expect(name.hasPrefix("securitylog-\(H.identity)-") && name.hasSuffix(".csv"))
        h.run(0.5)
        #expect(h.actions.contains(.uploadLog(.security, location: "ftp://logs.invalid/", fileName: name, oldest: nil, latest: nil, requestId: 42)))
        #expect(h.cp.logStatusNotification == LogStatusNotificationRequest(status: .uploading, requestId: 42))
        h.event(.logUploadFinished(requestId: 42, success: true))
        h.run(1)
        let statuses = h.calls(LogStatusNotificationRequest.action, since: mark).compactMap { try? LogStatusNotificationRequest(json: $0) }
        #expect(statuses == [.init(status: .uploading, requestId: 42), .init(status: .uploaded, requestId: 42)])
        #expect(h.cp.logStatusNotification == LogStatusNotificationRequest(status: .idle))
    }

    @Test("whitepaper N01.FR.06: a GetLog during an upload answers AcceptedCanceled; a location the station cannot upload to is Rejected")
    func whitepaper_N01_FR_06_acceptedCanceled() throws {
        var h = try H()
        h.connect()
        _ = try h.call(GetLogRequest(log: LogParameters(remoteLocation: "ftp://logs.invalid/"), logType: .diagnosticsLog, requestId: 1))
        h.run(0.5)
        #expect(try h.call(GetLogRequest(log: LogParameters(remoteLocation: "http://logs.invalid/"), logType: .securityLog, requestId: 2)).status == .acceptedCanceled)
        #expect(try h.call(GetLogRequest(log: LogParameters(remoteLocation: "file:///etc/"), logType: .securityLog, requestId: 3)).status == .rejected)
        #expect(h.cp.logStatusNotification.requestId == 2)
    }

    @Test("the security log export is CSV, one event per line, spreadsheet-safe")
    func securityLogCSV() {
        let csv = SecurityLogExport.csv([SecurityLogEntry(id: 1, at: Date(timeIntervalSince1970: 1_800_000_000), type: "InvalidMessages",
                                                          techInfo: "=cmd, \"x\"", critical: false)])
        #expect(csv == "id,timestamp,type,critical,techInfo,local\r\n1,2027-01-15T08:00:00.000Z,InvalidMessages,false,\"'=cmd, \"\"x\"\"\",false\r\n")
    }
}
