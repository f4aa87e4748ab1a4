#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// Security events of the station or gateway itself, beside the OCPP security whitepaper's (issue 23 item 7): logins,
/// failed logins, lockouts, password changes and resets, configuration changes with their user, firmware and
/// certificate changes. They go into the same rolling security log as the whitepaper's events (``SecurityLogStore``),
/// marked local, and are never sent as SecurityEventNotification: the whitepaper's table (ed. 3 §8,
/// ``OCPP16/SecurityEventType``) has no such type. Where the whitepaper does define the event (FirmwareUpdated,
/// ReconfigurationOfSecurityParameters, InvalidFirmwareSignature …) the charge point raises that one as before.
///
/// The names are the log's `type` column and the API's; a test keeps them apart from the whitepaper's names. A techInfo
/// never holds a secret: parameter names, never their values; a login's account name only when it is one of the
/// accounts (an unknown name may be a password typed into the wrong field).
public enum LocalSecurityEvent: String, Sendable, CaseIterable, Equatable {
    /// A web login that succeeded (account and source address).
    case loginSucceeded = "LoginSucceeded"
    /// A web login with a wrong password or an unknown account.
    case loginFailed = "LoginFailed"
    /// Wrong passwords started a lock of an account for a source address (``LoginThrottle``).
    case loginLocked = "LoginLocked"
    /// An account's password was changed by its user.
    case passwordChanged = "PasswordChanged"
    /// `chargekit accounts reset`: a new initial password on the console; the account's sessions ended.
    case passwordReset = "PasswordReset"
    /// Parameters changed: their names (never a value) and who changed them through which path.
    case configurationChanged = "ConfigurationChanged"
    /// A firmware update from the web page, a USB stick or the console: received, refused, installed, rolled back.
    case firmwareUpdate = "FirmwareUpdate"
    /// A certificate or key of the station's own was made, uploaded or replaced (the web server's, the signing root).
    case certificateChanged = "CertificateChanged"
}

/// Where local security events are kept: the station's and the gateway's database (the same table as the whitepaper's
/// events, bounded by ``SecurityLogPolicy``).
public protocol LocalSecurityLogStore: Sendable {
    /// Appends a local event; the oldest local events go beyond ``SecurityLogPolicy/maxLocalEntries`` and the oldest of
    /// all beyond ``SecurityLogPolicy/maxEntries``.
    func recordLocalSecurityEvent(_ event: LocalSecurityEvent, techInfo: String, at: Date) throws
    /// The security log's entries from `from` to `to` (inclusive, nil: open), oldest first, at most `limit`.
    func securityLog(from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry]
}
