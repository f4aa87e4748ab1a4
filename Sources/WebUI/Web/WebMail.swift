import FoundationEssentials
import Hummingbird
import ChargePoint

/// The Backend page's "Send test mail" card (seeds/004 §4 "Melding per e-mail": "Een test-e-mail kan worden verzonden
/// met behulp van een testknop"): a button that sends one mail to every recipient now and shows the server's answer
/// — its reply to the end of DATA, or the step that failed with its refusal (an AUTH failure shows the server's 535).
extension WebInterface {
    /// The lowest role that may send a test mail: the one that may change the e-mail parameters.
    static let testMailRole = Role.operator

    struct MailTestCard {
        var csrf: String
        var mayTest: Bool
        var testRole: String
        /// After a test: whether the server took the mail, and its answer.
        var sent: Bool
        var failed: Bool
        var answer: String?
        var recipients: String?
        /// Each recipient's queue: waiting alerts, the last mail, failed attempts with the server's answer.
        var queue: [QueueRow]
        var hasQueue: Bool
    }

    struct QueueRow {
        var recipient: String
        var state: String
        var lastError: String?
    }

    func mailTestCard(_ session: WebAccounts.Session, t: [String: String], result: MailTestResult?) async -> MailTestCard {
        let tz = await Self.timeZone(station)
        let queue = await station.mailStatus().map { q -> QueueRow in
            var parts = [(t["mail.waiting"] ?? "%d").replacing("%d", with: String(q.waiting))]
            if let last = q.lastSentAt { parts.append((t["mail.lastSent"] ?? "%@").replacing("%@", with: WebHTTP.time(last, tz: tz))) }
            if q.failures > 0, let next = q.nextAttemptAt {
                parts.append((t["mail.retry"] ?? "%d %@").replacing("%d", with: String(q.failures))
                    .replacing("%@", with: WebHTTP.time(next, tz: tz)))
            }
            return QueueRow(recipient: q.recipient, state: parts.joined(separator: " · "), lastError: q.failures > 0 ? q.lastError : nil)
        }
        return MailTestCard(
            csrf: session.csrf, mayTest: session.role >= Self.testMailRole,
            testRole: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(Self.testMailRole.rawValue)"] ?? ""),
            sent: result?.sent == true, failed: result.map { !$0.sent } ?? false, answer: result?.message,
            recipients: result.map { $0.recipients.joined(separator: ", ") }.flatMap { $0.isEmpty ? nil : $0 },
            queue: queue, hasQueue: !queue.isEmpty)
    }

    func addMailRoutes(to router: Router<WebRequestContext>) {
        router.post("mail/test") { request, _ in
            try await withSession(request, form: true) { session, _ in
                guard session.role >= Self.testMailRole else { return try await forbidden(session, Self.testMailRole) }
                let result = await station.sendTestMail()
                return try await parameterPage(session, .backend, query: [:], errors: [:], entered: [:], mailTest: result)
            }
        }
    }
}
