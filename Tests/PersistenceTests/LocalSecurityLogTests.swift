import Foundation
import Testing
import ChargePoint
@testable import Persistence

/// Issue 23 items 6 and 7 in the databases: local security events beside the whitepaper's, their own bound, the
/// gateway's log, the accounts' last logins and the reset's single transaction.
@Suite("Local security log and accounts in SQLite")
struct LocalSecurityLogTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("local events are marked, never queued for OCPP, and a flood of them never rolls away the whitepaper's events")
    func localEventsHaveTheirOwnBound() throws {
        let db = try StationDatabase()
        try db.recordSecurityEvent(type: "StartupOfTheDevice", techInfo: nil, critical: true, at: t0, notification: nil)
        let n = SecurityLogPolicy.maxLocalEntries + 2
        for i in 0..<n {
            try db.recordLocalSecurityEvent(.loginFailed, techInfo: "operator from 192.0.2.\(i % 250)", at: t0 + Double(i + 1))
        }
        let all = try db.securityLog(from: nil, to: nil, limit: SecurityLogPolicy.maxEntries)
        #expect(all.count == SecurityLogPolicy.maxLocalEntries + 1)
        #expect(all.first?.type == "StartupOfTheDevice" && all.first?.local == false)
        #expect(all.dropFirst().allSatisfy { $0.local && $0.type == "LoginFailed" && !$0.critical })
        #expect(all[1].at == t0 + 3, "the two oldest local events went")
        #expect(try db.transactionQueueCount() == 0, "nothing for the central system")
    }

    @Test("the gateway keeps the same log, and both keep last logins apart from the account record")
    func gatewayLogAndLastLogins() throws {
        for store in [try GatewayDatabase() as any (AccountStore & LocalSecurityLogStore), try StationDatabase()] {
            try store.saveAccount(Account(name: "operator", role: .operator, passwordHash: "$2b$old"))
            try store.recordLogin("operator", at: t0)
            try store.recordLocalSecurityEvent(.configurationChanged, techInfo: "by web:installer: ocppPort", at: t0)
            #expect(try store.lastLogins() == ["operator": t0])
            var reset = try #require(try store.loadAccounts().first)
            reset.passwordHash = "$2b$new"
            try store.resetAccount(reset, techInfo: "operator reset on the console by root", at: t0 + 1)
            #expect(try store.loadAccounts().first?.passwordHash == "$2b$new")
            #expect(try store.lastLogins() == ["operator": t0], "a reset keeps the last login")
            let log = try store.securityLog(from: nil, to: nil, limit: 10)
            #expect(log.map(\.type) == ["ConfigurationChanged", "PasswordReset"] && log.allSatisfy(\.local))
            let stranger = Account(name: "manufacturer", role: .manufacturer, passwordHash: "x")
            #expect(throws: AccountResetError.unknownAccount("manufacturer")) {
                try store.resetAccount(stranger, techInfo: "-", at: t0 + 2)
            }
            #expect(try store.securityLog(from: nil, to: nil, limit: 10).count == 2, "a refused reset writes nothing")
        }
    }
}
