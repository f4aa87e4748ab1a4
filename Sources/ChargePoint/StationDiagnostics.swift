#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16

/// The station's diagnostics files, as GetDiagnostics uploads them (tar.gz) and the System page downloads them (ZIP):
/// the station's log (event log), its configuration and configuration history with every secret removed, its
/// sessions, its current state and its OCPP state. Values in, (path, text) pairs out; the runtime reads the store and
/// packs the files.
///
/// - SeeAlso: OCPP 1.6 §5.9 GetDiagnostics (startTime/stopTime limit the log and the sessions).
public struct StationDiagnostics {
    /// Most event log entries a diagnostics file carries.
    public static let eventLimit = 20_000
    /// Most configuration changes it carries.
    public static let auditLimit = 10_000
    /// What a secret's value is replaced with.
    public static let removedSecret = "<removed>"

    public var settings: StationSettings
    /// The firmware version BootNotification reports.
    public var firmwareVersion: String
    public var now: Date
    public var startTime: Date?
    public var stopTime: Date?
    /// The event log between the times, newest first (as the store returns it), at most ``eventLimit`` entries.
    public var events: [EventLogEntry]
    public var parameters: ParameterSet
    /// The configuration changes, newest first, at most ``auditLimit``.
    public var audit: [ParameterAuditEntry]
    /// The sessions between the times.
    public var sessions: [SessionRecord]
    public var snapshot: StationSnapshot
    /// The charge point when a backend is configured.
    public var chargePoint: OCPPChargePoint?
    public var queuedTransactionMessages: Int
    public var reservations: [Reservation]
    /// The security log of the range (the whitepaper's events and the local ones: logins, configuration changes …).
    public var securityLog: [SecurityLogEntry]

    public init(settings: StationSettings, firmwareVersion: String, now: Date, startTime: Date?, stopTime: Date?, events: [EventLogEntry],
                parameters: ParameterSet, audit: [ParameterAuditEntry], sessions: [SessionRecord], snapshot: StationSnapshot,
                chargePoint: OCPPChargePoint?, queuedTransactionMessages: Int, reservations: [Reservation],
                securityLog: [SecurityLogEntry] = []) {
        self.settings = settings; self.firmwareVersion = firmwareVersion; self.now = now; self.startTime = startTime; self.stopTime = stopTime
        self.events = events; self.parameters = parameters; self.audit = audit; self.sessions = sessions; self.snapshot = snapshot
        self.chargePoint = chargePoint; self.queuedTransactionMessages = queuedTransactionMessages; self.reservations = reservations
        self.securityLog = securityLog
    }

    /// The files, each with its path in the archive.
    public func files() throws -> [(path: String, text: String)] {
        let s = settings, p = parameters
        let secrets = p.registry.secretKeys
        var files: [(path: String, text: String)] = []
        let range = "\(startTime.map(OCPPDate.format) ?? "beginning") to \(stopTime.map(OCPPDate.format) ?? "now")"
        files.append(("diagnostics/README.txt", """
            ChargeKit diagnostics of \(s.chargeBoxIdentity) (serial \(s.serialNumber))
            Firmware:  \(firmwareVersion)
            Created:   \(OCPPDate.format(now))
            Log range: \(range)
            Files:     events.log (station event log), configuration.txt (every parameter; secrets removed),
                       configuration-audit.log (changes; secrets removed), sessions.csv, status.json, ocpp.txt,
                       security-log.csv (logins, configuration changes and OCPP security events; never a secret)

            """))

        files.append(("diagnostics/security-log.csv", SecurityLogExport.csv(securityLog)))

        files.append(("diagnostics/events.log", events.reversed().map { e in
            "\(OCPPDate.format(e.at)) [\(e.kind.rawValue)] connector \(e.connector)\(e.code.map { " \($0)" } ?? ""): \(LogText.escape(e.message))"
        }.joined(separator: "\n") + "\n"))

        files.append(("diagnostics/configuration.txt", p.registry.keys.map { r in
            let value = secrets.contains(r.key) ? Self.removedSecret : (p.value(r.key)?.description ?? "")
            return "\(r.key) = \(value)"
        }.joined(separator: "\n") + "\n"))

        files.append(("diagnostics/configuration-audit.log", audit.reversed().map { a in
            let hide = secrets.contains(a.key)
            return "\(OCPPDate.format(a.at)) \(a.changedBy) \(a.key): \(hide ? Self.removedSecret : a.oldValue ?? "(default)") → \(hide ? Self.removedSecret : a.newValue)"
        }.joined(separator: "\n") + "\n"))

        var csv = "id,connector,idTag,startedAt,meterStartWh,stoppedAt,meterStopWh,stopReason,reservationId\n"
        for r in sessions {
            let x = r.session
            csv += [x.id.uuidString, String(x.connector), x.idTag, OCPPDate.format(x.startedAt), String(x.meterStartWh),
                    r.stoppedAt.map(OCPPDate.format) ?? "", r.meterStopWh.map { String($0) } ?? "", r.stopReason?.rawValue ?? "",
                    x.reservationID.map(String.init) ?? ""].map(CSVCell.field).joined(separator: ",") + "\n"
        }
        files.append(("diagnostics/sessions.csv", csv))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        files.append(("diagnostics/status.json", String(decoding: try encoder.encode(snapshot), as: UTF8.self)))

        let link = chargePoint?.link
        files.append(("diagnostics/ocpp.txt", """
            Backend URL:            \(chargePoint?.settings.url ?? "(none)")
            Connected:              \(link?.connected ?? false)
            Registration:           \(link.map { "\($0.registration)" } ?? "-")
            Queued transaction messages: \(queuedTransactionMessages)
            Reservations:           \(reservations.map { "\($0.id)@\($0.connector) until \(OCPPDate.format($0.expiresAt))" }.joined(separator: ", "))

            """))
        return files
    }
}
