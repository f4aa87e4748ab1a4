import Foundation
import Testing
import EVSECore
import Mail
import TestSupport
@testable import ChargePoint

/// The e-mail alerts' decisions (seeds/004 §4 "Melding per e-mail", issue 24 item 5): which event makes an alert, when
/// a recipient's mail goes (grouping, one a minute, back-off), the backend's silence, the message text, the parameters.
@Suite("E-mail alerts (seeds/004 §4)")
struct MailAlertTests {
    let t0 = Date(timeIntervalSince1970: 1_796_478_970)
    let all = Set(MailAlertEvent.allCases)

    func entry(_ kind: EventKind, _ connector: Int = 1, code: String? = nil, _ message: String = "m", at: Date? = nil) -> EventLogEntry {
        EventLogEntry(at: at ?? t0, kind: kind, connector: connector, code: code, message: message)
    }

    func configured(_ extra: [(String, ParameterValue)] = []) -> ParameterSet {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        p.set(StationParameters.chargeBoxIdentity, .string("CK-1"))
        p.set(StationParameters.mailSMTPHost, .string("mail.example.org"))
        p.set(StationParameters.mailSender, .string("station@example.org"))
        p.set(StationParameters.mailRecipients, .list(["ops@example.org", "boss@example.org"]))
        for (k, v) in extra { p.set(k, v) }
        return p
    }

    @Test("seeds/004 §4: an error raised and an error cleared each make an alert; only the events chosen do")
    func seeds004_4_errorRaisedAndClearedMakeAlerts() {
        let raised = MailAlertPolicy.alert(for: entry(.errorRaised, code: "rcmbResidualCurrent", "Residual current detected"), events: all)
        #expect(raised == MailAlert(at: t0, event: .errorRaised, connector: 1, code: "rcmbResidualCurrent", text: "Residual current detected"))
        #expect(MailAlertPolicy.alert(for: entry(.errorResolved, code: "rcmbResidualCurrent"), events: all)?.event == .errorCleared)
        #expect(MailAlertPolicy.alert(for: entry(.firmwareInstallation, 0, code: "failed"), events: all)?.event == .firmware)
        #expect(MailAlertPolicy.alert(for: entry(.loginLockout, 0), events: all)?.event == .loginLockout)
        #expect(MailAlertPolicy.alert(for: entry(.backendConnection, 0, code: "offline"), events: all)?.event == .backendOffline)
        // Not chosen, or not an alert at all.
        #expect(MailAlertPolicy.alert(for: entry(.errorResolved), events: [.errorRaised]) == nil)
        #expect(MailAlertPolicy.alert(for: entry(.sessionStarted), events: all) == nil)
        #expect(MailAlertPolicy.alert(for: entry(.parameterChanged), events: all) == nil)
    }

    @Test("back-off while the mail server is away: 30 s, doubling, at most an hour")
    func backoffSchedule() {
        #expect((0...9).map { MailDeliveryPlan.backoffSeconds(afterFailures: $0) } == [0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600])
        #expect(MailDeliveryPlan.backoffSeconds(afterFailures: 10_000) == 3600)
        var s = MailRecipientState()
        s = MailDeliveryPlan.failed(s, now: t0, error: "connect: refused")
        #expect(s.failures == 1 && s.nextAttemptAt == t0.addingTimeInterval(30) && s.lastError == "connect: refused")
        #expect(!MailDeliveryPlan.isDue(s, oldestPending: t0, now: t0.addingTimeInterval(29)))
        #expect(MailDeliveryPlan.isDue(s, oldestPending: t0, now: t0.addingTimeInterval(30)))
        s = MailDeliveryPlan.failed(s, now: t0.addingTimeInterval(30), error: "x")
        #expect(s.nextAttemptAt == t0.addingTimeInterval(90))
        let ok = MailDeliveryPlan.delivered(s, now: t0.addingTimeInterval(100))
        #expect(ok == MailRecipientState(lastSentAt: t0.addingTimeInterval(100)))
    }

    @Test("grouping: an alert waits a moment for others; at most one mail a minute per recipient")
    func groupingAndOneMailAMinute() {
        let fresh = MailRecipientState()
        #expect(!MailDeliveryPlan.isDue(fresh, oldestPending: nil, now: t0), "nothing queued")
        #expect(!MailDeliveryPlan.isDue(fresh, oldestPending: t0, now: t0.addingTimeInterval(1)), "gathering the burst")
        #expect(MailDeliveryPlan.isDue(fresh, oldestPending: t0, now: t0.addingTimeInterval(MailDeliveryPlan.gatherSeconds)))
        let sent = MailRecipientState(lastSentAt: t0)
        #expect(!MailDeliveryPlan.isDue(sent, oldestPending: t0.addingTimeInterval(5), now: t0.addingTimeInterval(59)))
        #expect(MailDeliveryPlan.isDue(sent, oldestPending: t0.addingTimeInterval(5), now: t0.addingTimeInterval(60)))
        // The wall clock stepped back by a day: neither the spacing nor a back-off blocks for that long.
        let future = MailRecipientState(lastSentAt: t0.addingTimeInterval(86_400), failures: 1, nextAttemptAt: t0.addingTimeInterval(86_430))
        #expect(MailDeliveryPlan.isDue(future, oldestPending: t0.addingTimeInterval(-10), now: t0))
    }

    @Test("backend offline longer than the threshold: one alert, and one when it is back")
    func backendOfflineWatch() {
        var w = BackendOfflineWatch()
        #expect(w.step(online: true, now: t0, thresholdSeconds: 900) == nil)
        #expect(w.step(online: false, now: t0, thresholdSeconds: 900) == nil)
        #expect(w.step(online: false, now: t0.addingTimeInterval(899), thresholdSeconds: 900) == nil)
        let offline = w.step(online: false, now: t0.addingTimeInterval(900), thresholdSeconds: 900)
        #expect(offline?.kind == .backendConnection && offline?.code == "offline")
        #expect(offline?.message == "The OCPP backend has been unreachable for 15 min")
        #expect(w.step(online: false, now: t0.addingTimeInterval(5000), thresholdSeconds: 900) == nil, "once per outage")
        let back = w.step(online: true, now: t0.addingTimeInterval(1200), thresholdSeconds: 900)
        #expect(back?.code == "online" && back?.message == "The OCPP backend is reachable again after 20 min offline")
        // A short outage says nothing, neither when it starts nor when it ends.
        #expect(w.step(online: false, now: t0.addingTimeInterval(2000), thresholdSeconds: 900) == nil)
        #expect(w.step(online: true, now: t0.addingTimeInterval(2100), thresholdSeconds: 900) == nil)
        #expect(w.step(online: nil, now: t0, thresholdSeconds: 900) == nil)
    }

    @Test("seeds/004 §4: the mail is plain text naming the charge point and its location; one line per alert")
    func seeds004_4_messageText() throws {
        let s = try #require(MailAlertSettings(configured([(StationParameters.mailLocation, .string("Garage Süd"))])))
        let a1 = MailAlert(at: t0, event: .errorRaised, connector: 1, code: "vehicleError", text: "Vehicle error (state E)")
        let a2 = MailAlert(at: t0.addingTimeInterval(30), event: .errorCleared, connector: 1, code: "vehicleError", text: "Vehicle error resolved")
        let one = AlertMail.compose([a1], to: s.recipients[0], settings: s, now: t0, messageID: "x@y")
        #expect(one.subject == "ChargeKit CK-1 (Garage Süd): Error raised, connector 1: Vehicle error (state E) [vehicleError]")
        #expect(one.to == [s.recipients[0]] && one.from.text == "station@example.org")
        let two = AlertMail.compose([a1, a2], to: s.recipients[1], settings: s, now: t0, messageID: "x@y")
        #expect(two.subject == "ChargeKit CK-1 (Garage Süd): 2 alerts")
        let lines = two.body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "Charge point CK-1, Garage Süd")
        #expect(lines[2] == "2026-12-05 13:56:10 UTC  Error raised, connector 1: Vehicle error (state E) [vehicleError]")
        #expect(lines[3] == "2026-12-05 13:56:40 UTC  Error cleared, connector 1: Vehicle error resolved [vehicleError]")
        // The rendered message carries the umlaut subject as RFC 2047 words.
        #expect(String(decoding: two.rendered(), as: UTF8.self).contains("Subject: =?UTF-8?B?"))
        let test = AlertMail.testMail(settings: s, now: t0, messageID: "x@y")
        #expect(test.to.map(\.text) == ["ops@example.org", "boss@example.org"] && test.subject.hasSuffix(": test mail"))
    }

    @Test("off by default: no server, sender or recipient, no alerts; the test button says what is missing")
    func offByDefault() {
        let defaults = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        #expect(MailAlertSettings(defaults) == nil)
        #expect(MailAlertSettings.missing(defaults) == "no SMTP server is set")
        var p = configured()
        p.set(StationParameters.mailRecipients, .list([]))
        #expect(MailAlertSettings(p) == nil && MailAlertSettings.missing(p) == "no recipient is set")
        let s = MailAlertSettings(configured())
        #expect(s?.security == .starttls && s?.port == 587 && s?.events == all && s?.backendOfflineSeconds == 900 && s?.caFile == nil)
        #expect(s?.credentials == nil)
        #expect(MailAlertSettings(configured([(StationParameters.mailSMTPUser, .string("u")), (StationParameters.mailSMTPPassword, .string("p"))]))?
            .credentials == SMTPDialogue.Credentials(user: "u", password: "p"))
    }

    @Test("the registry refuses a sender or recipient that is no address, naming it; the password is a secret")
    func addressesCheckedAndPasswordSecret() throws {
        var service = try ParameterService(store: InMemoryParameterStore())
        #expect(throws: ParameterError.self) {
            try service.set(StationParameters.mailSender, .string("not an address"), role: .operator, changedBy: "t", now: t0)
        }
        do {
            try service.set(texts: [(StationParameters.mailRecipients, "ops@example.org, bad@@x")], role: .operator, changedBy: "t", now: t0)
            Issue.record("accepted")
        } catch let e as ParameterBatchError {
            #expect(e.errors[StationParameters.mailRecipients]?.message.contains("bad@@x") == true)
        }
        try service.set(texts: [(StationParameters.mailRecipients, "ops@example.org, b@example.net")], role: .operator, changedBy: "t", now: t0)
        #expect(service.values[.mailRecipients] == ["ops@example.org", "b@example.net"])
        let password = try #require(StationParameters.all.first { $0.key == StationParameters.mailSMTPPassword })
        #expect(password.secret)
    }
}
