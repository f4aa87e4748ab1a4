#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A login of the web interface. There is one account per role (seeds/004 §7.2: operator, installer, manufacturer —
/// the role decides which parameters it may change); each has its own password and language.
public struct Account: Sendable, Codable, Equatable {
    /// The login name: the role's name.
    public var name: String
    public var role: Role
    /// bcrypt hash; the password itself is never stored.
    public var passwordHash: String
    /// The initial password must be changed at the first login (seeds/002 "User Profile").
    public var mustChangePassword: Bool
    /// Language of the pages: "en", "de" or "nl".
    public var language: String

    public init(name: String, role: Role, passwordHash: String, mustChangePassword: Bool = true, language: String = "en") {
        self.name = name; self.role = role; self.passwordHash = passwordHash; self.mustChangePassword = mustChangePassword
        self.language = language
    }
}

/// The persistence port of the accounts.
public protocol AccountStore: Sendable {
    func loadAccounts() throws -> [Account]
    /// Inserts or replaces (same name).
    func saveAccount(_ account: Account) throws
    /// Notes a successful login (`chargekit accounts list` shows it), without rewriting the account's record.
    func recordLogin(_ name: String, at: Date) throws
    /// When each account last logged in (name → time; one that never did is absent).
    func lastLogins() throws -> [String: Date]
    /// Replaces an existing account's record (a new initial password, issue 23 item 6) and writes the security log's
    /// PasswordReset entry in the same transaction; an unknown account changes nothing and throws.
    func resetAccount(_ account: Account, techInfo: String, at: Date) throws
}

/// Why `chargekit accounts reset` changed nothing.
public enum AccountResetError: Error, CustomStringConvertible, Equatable {
    case unknownAccount(String)
    public var description: String {
        switch self {
        case .unknownAccount(let name): "no account '\(name)' in this database (the accounts are made at the first start)"
        }
    }
}

/// Login rules: the lockout after failed logins (applied per account and source address by ``LoginThrottle``) and what
/// a new password must satisfy.
public enum LoginPolicy {
    /// Failed logins in a row allowed before the lockout starts.
    public static let freeAttempts = 3
    /// The first lockout; it doubles with every further failure, up to ``maximumLockout``.
    public static let firstLockout: Duration = .seconds(30)
    public static let maximumLockout: Duration = .seconds(3600)
    public static let minimumPasswordLength = 10
    public static let maximumPasswordLength = 72  // bcrypt uses at most 72 bytes

    /// How long an account is locked for one source after `failures` failed logins in a row from it (nil: not locked).
    public static func lockout(afterFailures failures: Int) -> Duration? {
        guard failures >= freeAttempts else { return nil }
        let exponent = min(failures - freeAttempts, 16)
        let seconds = min(firstLockout.seconds * Double(1 << exponent), maximumLockout.seconds)
        return .seconds(seconds)
    }

    /// A password change: old password checked by the caller; `new` and `repeated` must match and be acceptable.
    /// Returns the field in error and why, or nil.
    public static func checkNewPassword(_ new: String, repeated: String, old: String) -> (field: String, message: String)? {
        if new.utf8.count < minimumPasswordLength || new.utf8.count > maximumPasswordLength {
            return ("new", "The new password must have \(minimumPasswordLength) to \(maximumPasswordLength) characters.")
        }
        if new == old { return ("new", "The new password must differ from the old one.") }
        if new != repeated { return ("repeat", "The repeated password differs from the new one.") }
        return nil
    }

    /// A random initial password: 12 characters without look-alikes (0/O, 1/l/I).
    public static func initialPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }
}
