#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import Mail

/// One alert waiting for its mail: what happened, when, where.
public struct MailAlert: Sendable, Equatable, Codable {
    public var at: Date
    public var event: MailAlertEvent
    /// 0 for the station as a whole.
    public var connector: Int
    /// The error's identifier in the catalogue (errors), or the outcome (firmware, backend).
    public var code: String?
    public var text: String

    public init(at: Date, event: MailAlertEvent, connector: Int, code: String?, text: String) {
        self.at = at; self.event = event; self.connector = connector; self.code = code; self.text = text
    }
}

/// Which entry of the event log makes an alert (seeds/004 §4 "Melding per e-mail": the errors that would also be
/// reported to an OCPP backend, and a mail when an error no longer exists).
///
/// Alerts come from the event log and from nowhere else: the log is written (durably) when something happens, and the
/// mailer reads it behind a stored cursor, queueing the alerts and moving the cursor in one write. So a `kill -9` at any
/// moment neither loses an alert (the cursor has not moved past its entry) nor queues one twice (it has).
public enum MailAlertPolicy {
    public static func alert(for entry: EventLogEntry, events: Set<MailAlertEvent>) -> MailAlert? {
        let event: MailAlertEvent
        switch entry.kind {
        case .errorRaised: event = .errorRaised
        case .errorResolved: event = .errorCleared
        case .firmwareInstallation: event = .firmware
        case .loginLockout: event = .loginLockout
        case .backendConnection: event = .backendOffline
        default: return nil
        }
        guard events.contains(event) else { return nil }
        return MailAlert(at: entry.at, event: event, connector: entry.connector, code: entry.code, text: entry.message)
    }
}

/// The backend's silence as alerts: an entry for the event log when the backend has been offline longer than the
/// threshold, and one when it is back after such an entry. Time comes in as `now`; a restart starts a new watch (the
/// outage is counted from the start, as the station cannot know how long it lasted while it was down).
public struct BackendOfflineWatch: Sendable, Equatable {
    public private(set) var offlineSince: Date?
    public private(set) var reported = false

    public init() {}

    /// `online` nil: no backend configured (nothing to watch).
    public mutating func step(online: Bool?, now: Date, thresholdSeconds: Double) -> EventLogEntry? {
        guard let online else {
            offlineSince = nil; reported = false
            return nil
        }
        if online {
            defer { offlineSince = nil; reported = false }
            guard reported, let since = offlineSince else { return nil }
            return EventLogEntry(at: now, kind: .backendConnection, connector: 0, code: "online",
                                 message: "The OCPP backend is reachable again after \(Self.minutes(now.timeIntervalSince(since))) min offline")
        }
        let since = offlineSince ?? now
        offlineSince = since
        guard !reported, now.timeIntervalSince(since) >= thresholdSeconds else { return nil }
        reported = true
        return EventLogEntry(at: now, kind: .backendConnection, connector: 0, code: "offline",
                             message: "The OCPP backend has been unreachable for \(Self.minutes(now.timeIntervalSince(since))) min")
    }

    static func minutes(_ seconds: Double) -> Int { Int((seconds / 60).rounded()) }
}

/// A recipient's delivery state: when its last mail went, and the back-off after failed attempts.
public struct MailRecipientState: Sendable, Equatable {
    public var lastSentAt: Date?
    public var failures: Int
    public var nextAttemptAt: Date?
    /// The last failure as the user should see it (the server's reply); never the password.
    public var lastError: String?

    public init(lastSentAt: Date? = nil, failures: Int = 0, nextAttemptAt: Date? = nil, lastError: String? = nil) {
        self.lastSentAt = lastSentAt; self.failures = failures; self.nextAttemptAt = nextAttemptAt; self.lastError = lastError
    }
}

/// When a recipient's alerts go out: grouped, at most one mail a minute per recipient, and with a back-off while the
/// mail server is away (issue 24 item 5). Values in, decisions out; the clock is the caller's.
public enum MailDeliveryPlan {
    /// At most one mail per recipient in this many seconds; what arrives in between goes in the next one.
    public static let minimumSpacingSeconds = 60.0
    /// An alert waits this long for others that arrive with it (errors often come in bursts) before its mail goes.
    public static let gatherSeconds = 3.0
    /// The most alerts in one mail; more go in the next.
    public static let maximumAlertsPerMail = 50
    /// Back-off: 30 s after the first failure, doubling, at most an hour.
    public static let firstRetrySeconds = 30.0
    public static let maximumRetrySeconds = 3600.0

    public static func backoffSeconds(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        return min(maximumRetrySeconds, firstRetrySeconds * Double(1 << min(failures - 1, 20)))
    }

    /// Whether a mail should go to the recipient now: alerts wait (`oldestPending`), the last mail is a minute old, no
    /// back-off runs. A back-off or spacing that lies further ahead than it can (the wall clock stepped back) is over.
    public static func isDue(_ state: MailRecipientState, oldestPending: Date?, now: Date) -> Bool {
        guard let oldest = oldestPending else { return false }
        if let next = state.nextAttemptAt, now < next, next.timeIntervalSince(now) <= maximumRetrySeconds { return false }
        if let last = state.lastSentAt, now.timeIntervalSince(last) < minimumSpacingSeconds, now >= last { return false }
        return now.timeIntervalSince(oldest) >= gatherSeconds || now < oldest
    }

    /// The state after the server took the mail (250 to the end of DATA).
    public static func delivered(_ state: MailRecipientState, now: Date) -> MailRecipientState {
        MailRecipientState(lastSentAt: now, failures: 0, nextAttemptAt: nil, lastError: nil)
    }

    /// The state after a failed attempt: the next one after the back-off.
    public static func failed(_ state: MailRecipientState, now: Date, error: String) -> MailRecipientState {
        var s = state
        s.failures += 1
        s.nextAttemptAt = now.addingTimeInterval(backoffSeconds(afterFailures: s.failures))
        s.lastError = error
        return s
    }
}

/// The alert mail's text (seeds/004 §4: "De e-mail wordt in tekstformaat verzonden", with the charge point's location).
public enum AlertMail {
    static func subjectPrefix(_ s: MailAlertSettings) -> String {
        "ChargeKit \(s.identity)" + (s.location.isEmpty ? "" : " (\(s.location))")
    }

    static func line(_ a: MailAlert) -> String {
        let place = a.connector > 0 ? "connector \(a.connector)" : "station"
        let what: String
        switch a.event {
        case .errorRaised: what = "Error raised"
        case .errorCleared: what = "Error cleared"
        case .backendOffline: what = a.code == "online" ? "Backend online" : "Backend offline"
        case .firmware: what = a.code == "failed" ? "Firmware installation failed" : "Firmware installed"
        case .loginLockout: what = "Login locked"
        }
        let code = (a.event == .errorRaised || a.event == .errorCleared) ? a.code.map { " [\($0)]" } ?? "" : ""
        return "\(what), \(place): \(a.text)\(code)"
    }

    /// `2026-12-05 13:56:10 UTC`.
    static func time(_ date: Date) -> String { MailMessage.utcText(date) }

    /// One mail with `alerts` (oldest first) for `recipient`.
    public static func compose(_ alerts: [MailAlert], to recipient: MailAddress, settings s: MailAlertSettings, now: Date,
                               messageID: String) -> MailMessage {
        let subject = alerts.count == 1
            ? "\(subjectPrefix(s)): \(line(alerts[0]))"
            : "\(subjectPrefix(s)): \(alerts.count) alerts"
        var body = ["Charge point \(s.identity)" + (s.location.isEmpty ? "" : ", \(s.location)"), ""]
        body += alerts.map { "\(time($0.at))  \(line($0))" }
        body += ["", "-- ", "Sent by ChargeKit. Which events send a mail: web interface, menu Backend, section E-mail alerts."]
        return MailMessage(from: s.sender, to: [recipient], subject: String(subject.prefix(200)), body: body.joined(separator: "\n"),
                           date: now, messageID: messageID)
    }

    /// The "Send test mail" button's mail, to every recipient.
    public static func testMail(settings s: MailAlertSettings, now: Date, messageID: String) -> MailMessage {
        MailMessage(from: s.sender, to: s.recipients, subject: "\(subjectPrefix(s)): test mail",
                    body: ["Charge point \(s.identity)" + (s.location.isEmpty ? "" : ", \(s.location)"), "",
                           "This is a test of the e-mail alerts, sent \(time(now)).",
                           "If it is in your spam folder, adjust the filter so the alerts arrive."].joined(separator: "\n"),
                    date: now, messageID: messageID)
    }
}

/// What the "Send test mail" button (and `POST /api/mail/test`) shows: the server's answer.
public struct MailTestResult: Sendable, Codable, Equatable {
    /// The server took the mail.
    public var sent: Bool
    /// The server's reply to the end of DATA, or why it failed (the refusing reply, e.g. `535 5.7.8 …` to AUTH).
    public var message: String
    public var recipients: [String]

    public init(sent: Bool, message: String, recipients: [String]) { self.sent = sent; self.message = message; self.recipients = recipients }
}

/// A recipient's queue as the Backend page and `GET /api/mail/status` show it: how many alerts wait, the last mail, the
/// back-off and why the last attempt failed.
public struct MailRecipientStatus: Sendable, Codable, Equatable {
    public var recipient: String
    public var waiting: Int
    public var lastSentAt: Date?
    public var failures: Int
    public var nextAttemptAt: Date?
    public var lastError: String?

    public init(recipient: String, waiting: Int, state: MailRecipientState) {
        self.recipient = recipient; self.waiting = waiting; lastSentAt = state.lastSentAt; failures = state.failures
        nextAttemptAt = state.failures > 0 ? state.nextAttemptAt : nil; lastError = state.lastError
    }
}
