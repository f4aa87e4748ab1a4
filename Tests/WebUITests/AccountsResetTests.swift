import Foundation
import Synchronization
import Testing
import ChargePoint
import OCPP16
@testable import WebUI

/// Issue 23 items 6 and 7: `chargekit accounts reset` through another handle of the store takes effect on a running
/// WebAccounts at once; logins, failures, locks and password changes reach the security log; last logins are kept.
@Suite("Accounts: console reset, last login, security events")
struct AccountsResetTests {
    final class Events: Sendable {
        let list = Mutex<[(LocalSecurityEvent, String)]>([])
        func record(_ e: LocalSecurityEvent, _ info: String) { list.withLock { $0.append((e, info)) } }
        var types: [LocalSecurityEvent] { list.withLock { $0.map(\.0) } }
        var infos: [String] { list.withLock { $0.map(\.1) } }
    }

    @Test("a reset by another process: the old password fails at once, the role's sessions end, the new one must be changed")
    func resetFromTheConsole() async throws {
        let clock = TestClock()
        let store = MemoryAccounts()
        let accounts = try WebAccounts(store: store, now: { clock.now })
        let events = Events()
        await accounts.observeSecurityEvents { events.record($0, $1) }
        let initial = Dictionary(uniqueKeysWithValues: try await accounts.createMissingAccounts().map { ($0.name, $0.password) })
        guard case .success(let op, true) = try await accounts.login(name: "operator", password: initial["operator"]!, source: "192.0.2.1"),
              case .success(let inst, true) = try await accounts.login(name: "installer", password: initial["installer"]!, source: "192.0.2.1") else {
            Issue.record("the initial passwords log in and must be changed"); return
        }
        try await accounts.changePassword(op, old: initial["operator"]!, new: "operator-chosen-1", repeated: "operator-chosen-1")
        #expect(await accounts.session(op.token) != nil, "the session that changed the password stays")
        #expect(try store.lastLogins()["operator"] == clock.now)

        // The console works on the store directly (another process), never through this actor.
        let new = try WebAccounts.resetPassword(store: store, role: .operator, by: "root")
        #expect(new.count == 12 && new != "operator-chosen-1")
        #expect(await accounts.session(op.token) == nil, "the operator's session ended")
        #expect(await accounts.session(inst.token) != nil, "another role's session stays")
        #expect(try await accounts.login(name: "operator", password: "operator-chosen-1", source: "192.0.2.1") == .wrong)
        guard case .success(_, let mustChange) = try await accounts.login(name: "operator", password: new, source: "192.0.2.1") else {
            Issue.record("the new password logs in at once"); return
        }
        #expect(mustChange)
        #expect(events.types == [.loginSucceeded, .loginSucceeded, .passwordChanged, .loginFailed, .loginSucceeded])
        #expect(events.infos.first == "operator from 192.0.2.1")
        #expect(!events.infos.joined().contains(new) && !events.infos.joined().contains("operator-chosen-1"))
        #expect(throws: AccountResetError.unknownAccount("manufacturer")) {
            try WebAccounts.resetPassword(store: MemoryAccounts(), role: .manufacturer, by: "root")
        }
    }

    @Test("failed logins name the account but never an unknown name; a lock is an event of its own")
    func failedLoginsAndLocks() async throws {
        let accounts = try WebAccounts(store: MemoryAccounts())
        let events = Events()
        await accounts.observeSecurityEvents { events.record($0, $1) }
        _ = try await accounts.createMissingAccounts()
        _ = try await accounts.login(name: "my-secret-password", password: "x", source: "192.0.2.9")
        for _ in 0..<3 { _ = try await accounts.login(name: "installer", password: "x", source: "192.0.2.9") }
        #expect(events.types == [.loginFailed, .loginFailed, .loginFailed, .loginFailed, .loginLocked])
        #expect(events.infos[0] == "unknown account from 192.0.2.9")
        #expect(events.infos[4] == "installer from 192.0.2.9 for 30 s")
        #expect(!events.infos.joined().contains("my-secret-password"))
    }

    @Test("local events have names of their own: none is one of the whitepaper's 18 types")
    func localNamesAreApart() {
        let whitepaper = Set(SecurityEventType.allCases.map(\.rawValue))
        #expect(whitepaper.count == 18)
        #expect(LocalSecurityEvent.allCases.allSatisfy { !whitepaper.contains($0.rawValue) && $0.rawValue.count <= 50 })
    }
}
