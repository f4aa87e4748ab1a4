import Foundation
import Testing
import ChargePoint
@testable import Persistence

/// The security log (OCPP 1.6 security whitepaper ed. 3 §8, A04.FR.04) and the durable SecurityEventNotification queue
/// (A04.FR.02).
@Suite("Security log store")
struct SecurityLogStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("whitepaper A04.FR.02: the log entry and its notification are written together; the notification waits in the OCPP queue with a stable id")
    func whitepaper_A04_FR_02_loggedAndQueuedTogether() throws {
        let db = try StationDatabase()
        try db.recordSecurityEvent(type: "StartupOfTheDevice", techInfo: "x", critical: true, at: t0, notification: #"{"type":"StartupOfTheDevice"}"#)
        try db.recordSecurityEvent(type: "InvalidMessages", techInfo: nil, critical: false, at: t0 + 1, notification: nil)
        let log = try db.securityLog(from: nil, to: nil, limit: 10)
        #expect(log.map(\.type) == ["StartupOfTheDevice", "InvalidMessages"])
        #expect(log[0].critical && !log[1].critical && log[0].techInfo == "x")
        #expect(try db.transactionQueueCount() == 1)
        let head = try #require(try db.transactionQueueHead())
        #expect(head.action == "SecurityEventNotification" && head.sessionID == nil && head.payload == #"{"type":"StartupOfTheDevice"}"#)
        #expect(try db.transactionQueueHead()?.messageID == head.messageID, "the same id when read again (after a restart)")
        try db.transactionMessageDelivered(head.sequence, session: nil, transactionID: nil, finished: false)
        #expect(try db.transactionQueueCount() == 0)
        #expect(try db.securityLog(from: nil, to: nil, limit: 10).count == 2, "delivery does not touch the log")
    }

    @Test("whitepaper A04.FR.04: the security log rolls: beyond its bound the oldest entries go; the time range selects")
    func whitepaper_A04_FR_04_rollingLog() throws {
        let db = try StationDatabase()
        let n = SecurityLogPolicy.maxEntries + 3
        for i in 0..<n {
            try db.recordSecurityEvent(type: "E\(i)", techInfo: nil, critical: false, at: t0 + Double(i), notification: nil)
        }
        let all = try db.securityLog(from: nil, to: nil, limit: n)
        #expect(all.count == SecurityLogPolicy.maxEntries)
        #expect(all.first?.type == "E3" && all.last?.type == "E\(n - 1)")
        let range = try db.securityLog(from: t0 + 10, to: t0 + 12, limit: 100)
        #expect(range.map(\.type) == ["E10", "E11", "E12"])
        #expect(try db.securityLog(from: nil, to: nil, limit: 2).map(\.type) == ["E\(n - 2)", "E\(n - 1)"], "the newest, oldest first")
    }

    @Test("queued SecurityEventNotifications are bounded (the oldest go); transaction messages are never dropped for them")
    func queuedNotificationsBounded() throws {
        let db = try StationDatabase()
        for i in 0..<(SecurityLogPolicy.maxQueued + 2) {
            try db.recordSecurityEvent(type: "ResetOrReboot", techInfo: "\(i)", critical: true, at: t0, notification: #"{"n":\#(i)}"#)
        }
        #expect(try db.transactionQueueCount() == SecurityLogPolicy.maxQueued)
        #expect(try db.transactionQueueHead()?.payload == #"{"n":2}"#)
    }

    @Test("type and techInfo are cut to the message's bounds (50 and 255 characters)")
    func bounds() throws {
        let db = try StationDatabase()
        try db.recordSecurityEvent(type: String(repeating: "T", count: 80), techInfo: String(repeating: "i", count: 400), critical: false,
                                   at: t0, notification: nil)
        let e = try #require(try db.securityLog(from: nil, to: nil, limit: 1).first)
        #expect(e.type.count == 50 && e.techInfo?.count == 255)
    }
}
