import FoundationEssentials
import Dispatch
import Synchronization
import HummingbirdBcrypt
import ChargePoint
import EVSECore

/// The web interface's accounts and sessions: one account per role, bcrypt hashes in the station database, sessions in
/// memory (a restart logs everyone out). Login failures lock the account for the failing source address with a doubling
/// delay, and every source has a rate limit (``LoginThrottle``).
///
/// bcrypt (about 50 ms a check) runs on ``BcryptWorker``'s own thread, one check at a time, never inside this actor:
/// session lookups of logged-in users must not wait behind a flood of login attempts (issue 20 item 5).
public actor WebAccounts {
    /// A logged-in browser.
    public struct Session: Sendable, Equatable {
        public var token: String
        public var account: String
        public var role: Role
        /// The token every form must carry (CSRF).
        public var csrf: String
        public var lastSeen: Date
        /// The account's password hash when the session began: a session outlives no password change or reset, also
        /// not one made by `chargekit accounts reset` in another process.
        var passwordHash: String = ""
    }

    public enum LoginResult: Sendable, Equatable {
        case success(Session, mustChangePassword: Bool)
        case wrong
        /// Locked for this source after repeated failures, or too many attempts from it; try again after this time.
        case locked(until: Date)
    }

    /// Sessions end after this long without a request.
    public static let idleTimeout: TimeInterval = 30 * 60
    /// bcrypt cost (2^10 rounds).
    static let cost: UInt8 = 10

    let store: any AccountStore
    private var accounts: [String: Account] = [:]
    private var sessions: [String: Session] = [:]
    private var throttle = LoginThrottle()
    private let now: @Sendable () -> Date
    private let bcrypt = BcryptWorker()
    /// Told when wrong passwords start a lock of an account for a source (the station's event log and e-mail alerts,
    /// issue 24 item 5). Runs inside the actor: it must be quick and must not call back.
    private var lockoutObserver: (@Sendable (_ account: String, _ source: String, _ until: Date) -> Void)?
    /// Told of every login, failed login, lock and password change (the security log, issue 23 item 7). Runs inside
    /// the actor: it must be quick and must not call back.
    private var securityObserver: (@Sendable (_ event: LocalSecurityEvent, _ techInfo: String) -> Void)?

    public init(store: any AccountStore, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.store = store
        self.now = now
        for a in try store.loadAccounts() { accounts[a.name] = a }
    }

    /// What the caller prints once about the accounts ``createMissingAccounts()`` created ("" when it created none).
    /// Sets the observer of new login locks.
    public func observeLockouts(_ observer: @escaping @Sendable (_ account: String, _ source: String, _ until: Date) -> Void) {
        lockoutObserver = observer
    }

    /// Sets the observer of the security log's events (logins, failed logins, locks, password changes).
    public func observeSecurityEvents(_ observer: @escaping @Sendable (_ event: LocalSecurityEvent, _ techInfo: String) -> Void) {
        securityObserver = observer
    }

    /// With `fingerprint`, the HTTPS certificate's SHA-256 fingerprint follows the passwords (issue 23 item 2): the
    /// first login can be checked against what the browser shows for the certificate, before a password is typed.
    /// `text` cut or filled with spaces to `width` characters, a column of the notice.
    static func column(_ text: String, width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }

    public static func initialPasswordsNotice(_ created: [(name: String, password: String)], fingerprint: String? = nil) -> String {
        guard !created.isEmpty else { return "" }
        return "Initial web interface passwords (shown only now; each must be changed at its first login):\n"
            + created.map { "  \(Self.column($0.name, width: 13)) \($0.password)\n" }.joined()
            + (fingerprint.map { "HTTPS certificate SHA-256 fingerprint (check that the browser shows this one before the first login):\n  \($0)\n" } ?? "")
    }

    /// Creates the accounts that do not exist yet, each with a random initial password that must be changed at the first
    /// login. Returns the new (name, password) pairs so that the caller prints them once; only hashes are stored.
    /// The hashes are made on ``BcryptWorker`` (a debug build's bcrypt takes a second or more, and three of them on the
    /// cooperative threads stalled everything else that ran); an account another caller created meanwhile is kept.
    public func createMissingAccounts() async throws -> [(name: String, password: String)] {
        var created: [(String, String)] = []
        for role in Role.allCases where accounts[role.rawValue] == nil {
            let password = LoginPolicy.initialPassword()
            let hash = await bcrypt.hash(password, cost: Self.cost) ?? Bcrypt.hash(password, cost: Self.cost)
            guard accounts[role.rawValue] == nil else { continue }
            let account = Account(name: role.rawValue, role: role, passwordHash: hash)
            try store.saveAccount(account)
            accounts[account.name] = account
            created.append((account.name, password))
        }
        return created
    }

    public func account(_ name: String) -> Account? { accounts[name] }

    /// Reads the accounts again from the store: `chargekit accounts reset` changes them in the database from another
    /// process, and the new password must work (and the old one fail) at once. A read error keeps what is known.
    private func reload() {
        guard let stored = try? store.loadAccounts() else { return }
        for a in stored { accounts[a.name] = a }
    }

    /// The account as the store has it now (a reset from the console counts at once, ``reload()``).
    private func currentAccount(_ name: String) -> Account? {
        reload()
        return accounts[name]
    }

    /// Whether `password` is the current password of account `name`: a USB stick's USB_PASSWORD must be the operator's
    /// (seeds/004 §8 "USB-stick functies"). bcrypt runs on ``BcryptWorker``; no session is made. No throttle: each
    /// guess needs a stick written and inserted by hand.
    public nonisolated func passwordMatches(account name: String, _ password: String) async -> Bool {
        guard let hash = await currentAccount(name)?.passwordHash else { return false }
        return await bcrypt.verify(password, hash: hash) == true
    }

    /// Checks a login from `source` (the client's address). A locked pair or a source over its rate limit is refused
    /// without checking the password (no timing oracle while locked); an unknown name costs the same bcrypt time as a
    /// known one.
    public nonisolated func login(name: String, password: String, source: String? = nil) async throws -> LoginResult {
        let key = LoginThrottle.sourceKey(source)
        let hash: String
        switch await admit(name: name.lowercased(), source: key) {
        case .refused(let result): return result
        case .check(let h): hash = h
        }
        guard let ok = await bcrypt.verify(password, hash: hash) else { return .locked(until: now().addingTimeInterval(1)) }
        return try await finish(name: name.lowercased(), source: key, address: source ?? "unknown", passwordOK: ok, hash: hash)
    }

    private enum Admission { case refused(LoginResult), check(hash: String) }

    private func admit(name: String, source: String) -> Admission {
        let t = now()
        if let until = throttle.admit(source: source, now: t) { return .refused(.locked(until: until)) }
        reload()
        guard let a = accounts[name] else { return .check(hash: Self.dummyHash) }
        if let until = throttle.lockedUntil(account: a.name, source: source, now: t) { return .refused(.locked(until: until)) }
        return .check(hash: a.passwordHash)
    }

    /// `address` is the client's address as the security log shows it; `hash` the one the password was checked against
    /// (a reset in between fails the login).
    private func finish(name: String, source: String, address: String, passwordOK: Bool, hash: String) throws -> LoginResult {
        let t = now()
        guard let a = accounts[name] else {
            // The name typed is not logged: it may be a password typed into the wrong field.
            securityObserver?(.loginFailed, "unknown account from \(address)")
            return .wrong
        }
        guard passwordOK, a.passwordHash == hash else {
            securityObserver?(.loginFailed, "\(a.name) from \(address)")
            if let until = throttle.failed(account: a.name, source: source, now: t) {
                lockoutObserver?(a.name, source, until)
                securityObserver?(.loginLocked, "\(a.name) from \(address) for \(Int(until.timeIntervalSince(t).rounded())) s")
                return .locked(until: until)
            }
            return .wrong
        }
        throttle.succeeded(account: a.name, source: source)
        var session = Session(token: Self.randomToken(), account: a.name, role: a.role, csrf: Self.randomToken(), lastSeen: t)
        session.passwordHash = a.passwordHash
        sessions[session.token] = session
        try? store.recordLogin(a.name, at: t)
        securityObserver?(.loginSucceeded, "\(a.name) from \(address)")
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
        reload()
        guard accounts[s.account]?.passwordHash == s.passwordHash else {
            // The password was reset (or changed elsewhere) since this session began.
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

    /// Changes the password of a logged-in account (old, new, repeat). The other sessions of the account end. The
    /// bcrypt work runs on ``BcryptWorker``, off this actor.
    public nonisolated func changePassword(_ session: Session, old: String, new: String, repeated: String) async throws {
        guard let hash = await account(session.account)?.passwordHash else {
            throw PasswordChangeError.invalid(field: "old", message: "Unknown account.")
        }
        guard await bcrypt.verify(old, hash: hash) == true else {
            throw PasswordChangeError.invalid(field: "old", message: "The old password is not correct.")
        }
        if let (field, message) = LoginPolicy.checkNewPassword(new, repeated: repeated, old: old) {
            throw PasswordChangeError.invalid(field: field, message: message)
        }
        guard let newHash = await bcrypt.hash(new, cost: Self.cost) else {
            throw PasswordChangeError.invalid(field: "new", message: "The station is busy; please try again.")
        }
        try await replacePassword(session, passwordHash: newHash, expected: hash)
    }

    private func replacePassword(_ session: Session, passwordHash: String, expected: String) throws {
        guard var a = accounts[session.account], a.passwordHash == expected else {
            throw PasswordChangeError.invalid(field: "old", message: "The password was changed meanwhile; please log in again.")
        }
        a.passwordHash = passwordHash
        a.mustChangePassword = false
        try store.saveAccount(a)
        accounts[a.name] = a
        for (token, s) in sessions where s.account == a.name && token != session.token { sessions[token] = nil }
        sessions[session.token]?.passwordHash = passwordHash
        securityObserver?(.passwordChanged, "\(a.name); its other sessions ended")
    }

    /// `chargekit accounts reset ROLE` (issue 23 item 6), on the console, never over the network: gives the role's
    /// account a new random initial password that must be changed at the next login, and writes the security log's
    /// PasswordReset in the same transaction. A running station or gateway reads the accounts again at every login and
    /// session lookup (``reload()``), so the old password fails at once and the role's sessions end with their next
    /// request. Returns the password, to be printed once; only its bcrypt hash is stored.
    public static func resetPassword(store: any AccountStore, role: Role, by user: String, now: Date = Date()) throws -> String {
        let password = LoginPolicy.initialPassword()
        let existing = try store.loadAccounts().first { $0.name == role.rawValue }
        var account = existing ?? Account(name: role.rawValue, role: role, passwordHash: "")
        account.passwordHash = Bcrypt.hash(password, cost: cost)
        account.mustChangePassword = true
        try store.resetAccount(account, techInfo: "\(role.rawValue) reset on the console by \(user); its sessions ended", at: now)
        return password
    }

    public func setLanguage(_ session: Session, _ language: String) throws {
        reload()
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

/// Runs bcrypt on a thread of its own, one computation at a time: a login flood then costs one core at most and never
/// blocks the cooperative threads that serve pages. At most ``maximumWaiting`` computations wait; beyond that an
/// attempt is refused at once (nil) instead of queueing without bound.
final class BcryptWorker: Sendable {
    static let maximumWaiting = 16
    private let queue = DispatchQueue(label: "chargekit.bcrypt", qos: .utility)
    private let waiting = Mutex(0)

    func verify(_ password: String, hash: String) async -> Bool? {
        await run { Bcrypt.verify(password, hash: hash) }
    }

    func hash(_ password: String, cost: UInt8) async -> String? {
        await run { Bcrypt.hash(password, cost: cost) }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let admitted = waiting.withLock { n -> Bool in
            guard n < Self.maximumWaiting else { return false }
            n += 1
            return true
        }
        guard admitted else { return nil }
        return await withCheckedContinuation { continuation in
            queue.async {
                let result = work()
                self.waiting.withLock { $0 -= 1 }
                continuation.resume(returning: result)
            }
        }
    }
}
