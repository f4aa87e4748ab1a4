import Foundation
import HummingbirdBcrypt
import ChargePoint
import EVSECore

/// The web interface's accounts and sessions: one account per role, bcrypt hashes in the station database, sessions in
/// memory (a restart logs everyone out). Login failures lock the account with a doubling delay (``LoginPolicy``).
public actor WebAccounts {
    /// A logged-in browser.
    public struct Session: Sendable, Equatable {
        public var token: String
        public var account: String
        public var role: Role
        /// The token every form must carry (CSRF).
        public var csrf: String
        public var lastSeen: Date
    }

    public enum LoginResult: Sendable, Equatable {
        case success(Session, mustChangePassword: Bool)
        case wrong
        /// Locked after repeated failures; try again after this time.
        case locked(until: Date)
    }

    /// Sessions end after this long without a request.
    public static let idleTimeout: TimeInterval = 30 * 60
    /// bcrypt cost (2^10 rounds).
    static let cost: UInt8 = 10

    let store: any AccountStore
    private var accounts: [String: Account] = [:]
    private var sessions: [String: Session] = [:]
    private let now: @Sendable () -> Date

    public init(store: any AccountStore, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.store = store
        self.now = now
        for a in try store.loadAccounts() { accounts[a.name] = a }
    }

    /// Creates the accounts that do not exist yet, each with a random initial password that must be changed at the first
    /// login. Returns the new (name, password) pairs so that the caller prints them once; only hashes are stored.
    public func createMissingAccounts() throws -> [(name: String, password: String)] {
        var created: [(String, String)] = []
        for role in Role.allCases where accounts[role.rawValue] == nil {
            let password = LoginPolicy.initialPassword()
            let account = Account(name: role.rawValue, role: role, passwordHash: Bcrypt.hash(password, cost: Self.cost))
            try store.saveAccount(account)
            accounts[account.name] = account
            created.append((account.name, password))
        }
        return created
    }

    public func account(_ name: String) -> Account? { accounts[name] }

    /// Checks a login. A locked account is refused without checking the password (no timing oracle while locked).
    public func login(name: String, password: String) throws -> LoginResult {
        let t = now()
        guard var a = accounts[name.lowercased()] else {
            _ = Bcrypt.verify(password, hash: Self.dummyHash)  // the same time as for a known name
            return .wrong
        }
        if let until = a.lockedUntil, until > t { return .locked(until: until) }
        guard Bcrypt.verify(password, hash: a.passwordHash) else {
            a.failedLogins += 1
            a.lockedUntil = LoginPolicy.lockout(afterFailures: a.failedLogins).map { t.addingTimeInterval($0.seconds) }
            try store.saveAccount(a)
            accounts[a.name] = a
            if let until = a.lockedUntil { return .locked(until: until) }
            return .wrong
        }
        if a.failedLogins != 0 || a.lockedUntil != nil {
            a.failedLogins = 0
            a.lockedUntil = nil
            try store.saveAccount(a)
            accounts[a.name] = a
        }
        let session = Session(token: Self.randomToken(), account: a.name, role: a.role, csrf: Self.randomToken(), lastSeen: t)
        sessions[session.token] = session
        return .success(session, mustChangePassword: a.mustChangePassword)
    }

    /// The session of a cookie token, refreshed; nil when unknown or idle for too long.
    public func session(_ token: String?) -> Session? {
        guard let token, var s = sessions[token] else { return nil }
        let t = now()
        guard t.timeIntervalSince(s.lastSeen) <= Self.idleTimeout else {
            sessions[token] = nil
            return nil
        }
        s.lastSeen = t
        sessions[token] = s
        return s
    }

    public func logout(_ token: String) { sessions[token] = nil }

    public enum PasswordChangeError: Error, Sendable, Equatable {
        /// The field in error and why.
        case invalid(field: String, message: String)
    }

    /// Changes the password of a logged-in account (old, new, repeat). The other sessions of the account end.
    public func changePassword(_ session: Session, old: String, new: String, repeated: String) throws {
        guard var a = accounts[session.account] else { throw PasswordChangeError.invalid(field: "old", message: "Unknown account.") }
        guard Bcrypt.verify(old, hash: a.passwordHash) else {
            throw PasswordChangeError.invalid(field: "old", message: "The old password is not correct.")
        }
        if let (field, message) = LoginPolicy.checkNewPassword(new, repeated: repeated, old: old) {
            throw PasswordChangeError.invalid(field: field, message: message)
        }
        a.passwordHash = Bcrypt.hash(new, cost: Self.cost)
        a.mustChangePassword = false
        try store.saveAccount(a)
        accounts[a.name] = a
        for (token, s) in sessions where s.account == a.name && token != session.token { sessions[token] = nil }
    }

    public func setLanguage(_ session: Session, _ language: String) throws {
        guard var a = accounts[session.account], WebText.languages.contains(language) else { return }
        a.language = language
        try store.saveAccount(a)
        accounts[a.name] = a
    }

    /// 256 random bits as hex (session and CSRF tokens).
    static func randomToken() -> String { RandomHex.words(4) }

    /// A hash of a password nobody knows, for unknown names.
    private static let dummyHash = Bcrypt.hash(randomToken(), cost: cost)
}
