#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import Mail
import Parameters

private typealias K = StationParameters

/// What sends an alert mail (seeds/004 §4 "Melding per e-mail": the errors also reported to an OCPP backend, and a mail
/// when an error no longer exists; issue 24 item 5 adds the backend's silence, firmware updates and login lockouts).
public enum MailAlertEvent: String, ParameterChoice, Codable {
    /// An error of the catalogue is raised (seeds/004 §9, seeds/002 §3).
    case errorRaised
    /// It is resolved ("Als de fouten niet langer bestaan, wordt ook een melding verzonden").
    case errorCleared
    /// The OCPP backend has been unreachable longer than "Backend offline alert after", and again when it is back.
    case backendOffline
    /// A firmware update was installed, or its installation failed.
    case firmware
    /// Wrong passwords locked a login of the web interface.
    case loginLockout
}

/// How the connection to the mail server is protected (the seed leaves it to "your e-mail program's settings").
public enum MailSecurity: String, ParameterChoice {
    case none
    case starttls
    case tls

    public var smtp: SMTPSecurity {
        switch self {
        case .none: .none
        case .starttls: .startTLS
        case .tls: .tls
        }
    }
}

/// The e-mail alert parameters (menu Backend, section "E-mail alerts", as seeds/004 §4 lists them under the backend's
/// configuration): SMTP server, port, security, user, password, sender, recipients, the charge point's location the
/// mail names, which events send one. Off until a server, a sender and a recipient are set. Unlike the seed ("active
/// only after a restart"), a change takes effect at once: the mailer reads them on every pass.
extension StationParameters {
    public static let mailSMTPHost = "MailSMTPHost"
    public static let mailSMTPPort = "MailSMTPPort"
    public static let mailSMTPSecurity = "MailSMTPSecurity"
    public static let mailSMTPUser = "MailSMTPUser"
    public static let mailSMTPPassword = "MailSMTPPassword"
    public static let mailSender = "MailSender"
    public static let mailRecipients = "MailRecipients"
    public static let mailLocation = "MailLocation"
    public static let mailEvents = "MailEvents"
    public static let mailBackendOfflineMinutes = "MailBackendOfflineMinutes"
    public static let mailCAFile = "MailCAFile"

    static let mailSection = "E-mail alerts"
    static let pathCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+@"

    /// The e-mail parameters' own format checks (``ParameterRules/textChecks``): the sender and each recipient.
    static let mailTextChecks: [String: @Sendable (String) -> String?] = [
        mailSender: { MailAddress.problem($0) },
        mailRecipients: { MailAddress.problem($0) },
    ]

    static let mailDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .mailSMTPHost, label: "SMTP server", type: .string(length: 0...253, allowed: hostCharacters),
            defaultValue: .string(""), role: .operator, menu: .backend, section: mailSection,
            help: "Host name or IP address of the mail server that sends the alerts (from your e-mail program's settings). Empty (factory setting): no e-mail alerts.",
            seeAlso: "seeds/004 §4 Melding per e-mail; RFC 5321"),
        ParameterDefinition(
            key: .mailSMTPPort, label: "SMTP port", type: .integer(1...65535, unit: nil),
            defaultValue: .integer(587), role: .operator, menu: .backend, section: mailSection,
            help: "TCP port of the mail server: 587 for STARTTLS, 465 for TLS, 25 without security.",
            seeAlso: "RFC 6409, RFC 8314"),
        ParameterDefinition(
            key: .mailSMTPSecurity, label: "SMTP security",
            type: .choice([MailSecurity.starttls: "STARTTLS", .tls: "TLS", .none: "None"]),
            defaultValue: .choice(MailSecurity.starttls), role: .operator, menu: .backend, section: mailSection,
            help: "STARTTLS: plain connection upgraded to TLS before anything else, refused if the server does not offer it. TLS: encrypted from the start. Both check the server's certificate (trusted CA, host name, validity). None: no encryption, the password too goes in the clear — only for a relay in a closed network.",
            seeAlso: "RFC 3207, RFC 8314"),
        ParameterDefinition(
            key: .mailSMTPUser, label: "SMTP user", type: .string(length: 0...254, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .backend, section: mailSection,
            help: "User name at the mail server. Empty: the station sends without logging in.",
            seeAlso: "RFC 4954"),
        ParameterDefinition(
            key: .mailSMTPPassword, label: "SMTP password", type: .string(length: 0...128, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .backend, section: mailSection, secret: true,
            help: "Password at the mail server. Never shown, logged or exported; use an account of its own for the station, as the manual advises.",
            seeAlso: "seeds/004 §4 Melding per e-mail"),
        ParameterDefinition(
            key: .mailSender, label: "Sender address", type: .string(length: 0...254, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .backend, section: mailSection,
            help: "The From address of the alerts, e.g. station@example.org (many servers only accept their account's address).",
            seeAlso: "RFC 5322 §3.6.2"),
        ParameterDefinition(
            key: .mailRecipients, label: "Recipients", type: .list(itemLength: 3...254, maxCount: 10),
            defaultValue: .list([]), role: .operator, menu: .backend, section: mailSection,
            help: "Up to 10 addresses, separated by commas. Each gets at most one mail a minute; alerts that arrive in between are sent together.",
            seeAlso: "seeds/004 §4 Melding per e-mail"),
        ParameterDefinition(
            key: .mailLocation, label: "Charge point location", type: .string(length: 0...100, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .backend, section: mailSection,
            help: "Where the charge point is (e.g. \"Garage, level -1\"): named in the subject and the text of every alert.",
            seeAlso: "seeds/004 §4 Melding per e-mail"),
        ParameterDefinition(
            key: .mailEvents, label: "Alerts for",
            type: .multiChoice([Choice(MailAlertEvent.errorRaised.rawValue, "Error raised"),
                                Choice(MailAlertEvent.errorCleared.rawValue, "Error cleared"),
                                Choice(MailAlertEvent.backendOffline.rawValue, "Backend offline"),
                                Choice(MailAlertEvent.firmware.rawValue, "Firmware installed or failed"),
                                Choice(MailAlertEvent.loginLockout.rawValue, "Login locked")], maxCount: 5),
            defaultValue: .list(MailAlertEvent.allCases.map(\.rawValue)), role: .operator, menu: .backend, section: mailSection,
            help: "Which events send a mail (comma-separated): errorRaised, errorCleared, backendOffline, firmware, loginLockout.",
            seeAlso: "seeds/004 §4 Melding per e-mail, §9"),
        ParameterDefinition(
            key: .mailBackendOfflineMinutes, label: "Backend offline alert after [min]", type: .integer(1...1440, unit: "min"),
            defaultValue: .integer(15), role: .operator, menu: .backend, section: mailSection,
            help: "An alert when the OCPP backend has been unreachable this long, and another when it is back.",
            seeAlso: "seeds/004 §4"),
        ParameterDefinition(
            key: .mailCAFile, label: "Trusted CA file", type: .string(length: 0...255, allowed: pathCharacters),
            defaultValue: .string(""), role: .installer, menu: .backend, section: mailSection,
            help: "Path of a PEM file with the CA (or the self-signed certificate) of a mail server the system does not trust. Empty: the system's trust store.",
            seeAlso: "RFC 8314 §4.5"),
    ]
}

extension ParameterKey {
    public static var mailSMTPHost: ParameterKey<String> { .init(K.mailSMTPHost, .text) }
    public static var mailSMTPPort: ParameterKey<Int> { .init(K.mailSMTPPort, .integer) }
    public static var mailSMTPSecurity: ParameterKey<MailSecurity> { .init(K.mailSMTPSecurity, .choice) }
    public static var mailSMTPUser: ParameterKey<String> { .init(K.mailSMTPUser, .text) }
    public static var mailSMTPPassword: ParameterKey<String> { .init(K.mailSMTPPassword, .text) }
    public static var mailSender: ParameterKey<String> { .init(K.mailSender, .text) }
    public static var mailRecipients: ParameterKey<[String]> { .init(K.mailRecipients, .list) }
    public static var mailLocation: ParameterKey<String> { .init(K.mailLocation, .text) }
    public static var mailEvents: ParameterKey<[MailAlertEvent]> { .init(K.mailEvents, .choices(MailAlertEvent.self)) }
    public static var mailBackendOfflineMinutes: ParameterKey<Int> { .init(K.mailBackendOfflineMinutes, .integer) }
    public static var mailCAFile: ParameterKey<String> { .init(K.mailCAFile, .text) }
}

/// The e-mail alerts' settings, read from the parameters.
public struct MailAlertSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var security: MailSecurity
    public var user: String
    public var password: String
    public var sender: MailAddress
    public var recipients: [MailAddress]
    public var location: String
    public var events: Set<MailAlertEvent>
    public var backendOfflineSeconds: Double
    /// A PEM file of trusted CAs instead of the system's trust store.
    public var caFile: String?
    /// The station's ChargeBoxIdentity, in the subject.
    public var identity: String

    /// nil while the alerts are off: no server, no valid sender or no recipient (the factory setting).
    public init?(_ p: ParameterSet) {
        guard !p[.mailSMTPHost].isEmpty, let sender = try? MailAddress(p[.mailSender]) else { return nil }
        let recipients = p[.mailRecipients].compactMap { try? MailAddress($0) }
        guard !recipients.isEmpty else { return nil }
        host = p[.mailSMTPHost]; port = p[.mailSMTPPort]; security = p[.mailSMTPSecurity]
        user = p[.mailSMTPUser]; password = p[.mailSMTPPassword]
        self.sender = sender; self.recipients = recipients
        location = p[.mailLocation]; events = Set(p[.mailEvents])
        backendOfflineSeconds = Double(p[.mailBackendOfflineMinutes]) * 60
        caFile = p[.mailCAFile].isEmpty ? nil : p[.mailCAFile]
        identity = p[.chargeBoxIdentity]
    }

    /// What is missing for the alerts to work, for the test button; nil when they are configured.
    public static func missing(_ p: ParameterSet) -> String? {
        if p[.mailSMTPHost].isEmpty { return "no SMTP server is set" }
        if let problem = MailAddress.problem(p[.mailSender]) { return "the sender address is not usable: \(problem)" }
        if p[.mailRecipients].isEmpty { return "no recipient is set" }
        return nil
    }

    /// The user and password for AUTH, when a user is set.
    public var credentials: SMTPDialogue.Credentials? { user.isEmpty ? nil : .init(user: user, password: password) }
}
