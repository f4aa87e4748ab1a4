#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ServiceLifecycle
import ChargePoint
import EVSECore
import Hosting
import Mail
import Persistence
import Transport

/// The e-mail alerts' side of the runtime (issue 24 item 5, seeds/004 §4 "Melding per e-mail"): the settings and the
/// backend's state for the mailer, events it records, and the "Send test mail" button.
extension StationRuntime {
    /// What a pass of the mailer reads: the settings (nil while off), the backend connection (nil without a backend),
    /// the station's wall clock.
    package func mailAlertInputs() -> (settings: MailAlertSettings?, backendOnline: Bool?, now: Date) {
        (MailAlertSettings(parameterService.values), ocpp.map { $0.chargePoint.online }, clock.now())
    }

    /// Appends an entry of the mailer's own (the backend's silence) to the event log, from which its alert follows.
    package func recordEvent(_ entry: EventLogEntry) {
        do { try database.append(entry) } catch { logger.error("persisting an event failed: \(error)") }
        logger.notice("\(entry.message)", metadata: ["event": "\(entry.kind.rawValue)"])
    }

    /// A login of the web interface locked after wrong passwords: into the event log (an alert follows when chosen).
    /// Written straight to the database (thread-safe and durable) so the accounts' actor need not wait for this one.
    package nonisolated func recordLoginLockout(account: String, source: String, until: Date) {
        let now = clock.now()
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        let entry = EventLogEntry(at: now, kind: .loginLockout, connector: 0, code: account,
                                  message: "Login of '\(account)' from \(source) locked for \(minutes) min after repeated wrong passwords")
        do { try database.append(entry) } catch { logger.error("persisting an event failed: \(error)") }
        logger.warning("\(entry.message)")
    }

    /// The "Send test mail" button: one mail to every recipient now, answered with the server's reply (or why not).
    public func sendTestMail() async -> MailTestResult {
        let values = parameterService.values
        guard let s = MailAlertSettings(values) else {
            return MailTestResult(sent: false, message: "E-mail alerts are not configured: \(MailAlertSettings.missing(values) ?? "incomplete settings")",
                                  recipients: [])
        }
        let message = AlertMail.testMail(settings: s, now: clock.now(), messageID: MailAlertService<Board>.messageID(s.identity))
        let recipients = s.recipients.map(\.text)
        do {
            let reply = try await SMTPClient.send(message, recipients: s.recipients, configuration: SMTPClientConfiguration(s))
            logger.notice("test mail sent to \(recipients.joined(separator: ", ")): \(reply)")
            return MailTestResult(sent: true, message: reply.description, recipients: recipients)
        } catch {
            logger.warning("test mail failed: \(error)")
            return MailTestResult(sent: false, message: "\(error)", recipients: recipients)
        }
    }
}

extension StationRuntime {
    /// The queue of each configured recipient (none while the alerts are off).
    public func mailStatus() async -> [MailRecipientStatus] {
        guard let s = MailAlertSettings(parameterService.values) else { return [] }
        do {
            let queue = try database.mailQueue()
            return try s.recipients.map { r in
                MailRecipientStatus(recipient: r.text, waiting: queue[r.text]?.count ?? 0, state: try database.mailRecipientState(r.text))
            }
        } catch {
            logger.error("reading the e-mail queue failed: \(error)")
            return []
        }
    }
}

extension SMTPClientConfiguration {
    init(_ s: MailAlertSettings) {
        self.init(host: s.host, port: s.port, security: s.security.smtp, credentials: s.credentials, caFile: s.caFile)
    }
}

/// The mailer: once a second it turns new event-log entries into queued alerts (``MailAlertPolicy``, behind a stored
/// cursor), watches the backend's silence (``BackendOfflineWatch``), and sends each recipient's queued alerts as one
/// mail when ``MailDeliveryPlan`` says so — at most one a minute, with back-off while the server is away. The queue is
/// SQLite's (``StationDatabase``): an alert leaves it only after the server's 250 to the end of DATA. Idle while the
/// alerts are off, keeping its cursor at the log's end so switching them on mails no history. It opens no listener.
package struct MailAlertService<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let database: StationDatabase
    let logger: Logger
    let interval: Duration

    package init(runtime: StationRuntime<Board>, database: StationDatabase, logger: Logger, interval: Duration = .seconds(1)) {
        self.runtime = runtime; self.database = database; self.logger = logger; self.interval = interval
    }

    /// A Message-ID unique to this mail (RFC 5322 §3.6.4): random left part, the station's identity as the right.
    static func messageID(_ identity: String) -> String {
        let right = identity.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        return "\(UUID().uuidString.lowercased())@\(right.isEmpty ? "station" : right).chargekit.invalid"
    }

    package func run() async throws {
        var watch = BackendOfflineWatch()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A shutdown interrupts a mail in flight (the alert stays queued) instead of waiting for its time-out.
            let current = watch
            watch = await cancelWhenGracefulShutdown { await self.pass(current) }
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    /// One pass; returns the backend watch's new state.
    func pass(_ start: BackendOfflineWatch) async -> BackendOfflineWatch {
        var watch = start
        let (settings, online, now) = await runtime.mailAlertInputs()
        do {
            guard let settings else {
                let latest = try database.latestEventID()
                if try database.mailAlertCursor() != latest { try database.setMailAlertCursor(latest) }
                return BackendOfflineWatch()
            }
            if settings.events.contains(.backendOffline),
               let entry = watch.step(online: online, now: now, thresholdSeconds: settings.backendOfflineSeconds) {
                await runtime.recordEvent(entry)
            }
            try queueNewAlerts(settings)
            let dropped = try database.dropMailAlerts(except: settings.recipients.map(\.text))
            if dropped > 0 { logger.notice("e-mail alerts: \(dropped) queued alert(s) of removed recipients dropped") }
            let queue = try database.mailQueue()
            for recipient in settings.recipients {
                guard let waiting = queue[recipient.text] else { continue }
                let state = try database.mailRecipientState(recipient.text)
                guard MailDeliveryPlan.isDue(state, oldestPending: waiting.oldest, now: now) else { continue }
                try await deliver(to: recipient, state: state, settings, now: now)
            }
        } catch {
            logger.error("e-mail alerts: \(error)")
        }
        return watch
    }

    /// Turns the event-log entries behind the cursor into alerts for every recipient, moving the cursor in the same write.
    func queueNewAlerts(_ s: MailAlertSettings) throws {
        var cursor = try database.mailAlertCursor() ?? database.latestEventID()
        while true {
            let batch = try database.events(after: cursor, limit: 200)
            guard let last = batch.last?.id else { break }
            let alerts = batch.compactMap { MailAlertPolicy.alert(for: $0.entry, events: s.events) }
            try database.queueMailAlerts(alerts, recipients: s.recipients.map(\.text), cursor: last)
            cursor = last
            if batch.count < 200 { break }
        }
        if try database.mailAlertCursor() == nil { try database.setMailAlertCursor(cursor) }
    }

    func deliver(to recipient: MailAddress, state: MailRecipientState, _ s: MailAlertSettings, now: Date) async throws {
        let pending = try database.pendingMailAlerts(recipient: recipient.text, limit: MailDeliveryPlan.maximumAlertsPerMail)
        guard !pending.isEmpty else { return }
        let message = AlertMail.compose(pending.map(\.alert), to: recipient, settings: s, now: now, messageID: Self.messageID(s.identity))
        do {
            let reply = try await SMTPClient.send(message, recipients: [recipient], configuration: SMTPClientConfiguration(s))
            try database.mailDelivered(recipient: recipient.text, ids: pending.map(\.id), state: MailDeliveryPlan.delivered(state, now: now))
            logger.info("alert mail with \(pending.count) alert(s) sent to \(recipient): \(reply)")
        } catch where Task.isCancelled {
            logger.info("alert mail to \(recipient) interrupted by the shutdown; it stays queued")
        } catch {
            let failed = MailDeliveryPlan.failed(state, now: now, error: "\(error)")
            try database.saveMailRecipientState(recipient.text, failed)
            logger.warning("alert mail to \(recipient) failed (attempt \(failed.failures), next in \(Int(MailDeliveryPlan.backoffSeconds(afterFailures: failed.failures))) s): \(error)")
        }
    }
}
