import Foundation
import ChargePoint
import EVSECore
import OCPP16
import Persistence
import Transport

/// The diagnostics file of GetDiagnostics: a tar.gz with the station's log (event log), its configuration and
/// configuration history with every secret removed, its sessions and its current state.
///
/// - SeeAlso: OCPP 1.6 §5.9 GetDiagnostics (startTime/stopTime limit the log and the sessions).
extension StationRuntime {
    /// Most event log entries a diagnostics file carries.
    static var diagnosticsEventLimit: Int { 20_000 }
    static var removedSecret: String { "<removed>" }

    func diagnosticsArchive(from startTime: Date?, to stopTime: Date?) throws -> [UInt8] {
        try diagnosticsFiles(from: startTime, to: stopTime).gzipped()
    }

    /// The diagnostics files: the event log and the sessions between the times, configuration, status and OCPP state.
    func diagnosticsFiles(from startTime: Date?, to stopTime: Date?) throws -> FileArchive {
        let now = clock.now()
        let p = parameterService.values
        let secrets = p.registry.secretKeys
        var archive = FileArchive()
        let s = controller.settings
        let range = "\(startTime.map(OCPPDate.format) ?? "beginning") to \(stopTime.map(OCPPDate.format) ?? "now")"
        archive.add("diagnostics/README.txt", """
            ChargeKit diagnostics of \(s.chargeBoxIdentity) (serial \(s.serialNumber))
            Firmware:  \(firmwareVersion(build: ChargeKitVersion.current))
            Created:   \(OCPPDate.format(now))
            Log range: \(range)
            Files:     events.log (station event log), configuration.txt (every parameter; secrets removed),
                       configuration-audit.log (changes; secrets removed), sessions.csv, status.json, ocpp.txt

            """, modified: now)

        let events = try database.events(limit: Self.diagnosticsEventLimit, from: startTime, to: stopTime).reversed()
        archive.add("diagnostics/events.log", events.map { e in
            "\(OCPPDate.format(e.at)) [\(e.kind.rawValue)] connector \(e.connector)\(e.code.map { " \($0)" } ?? ""): \(LogText.escape(e.message))"
        }.joined(separator: "\n") + "\n", modified: now)

        archive.add("diagnostics/configuration.txt", p.registry.keys.map { r in
            let value = secrets.contains(r.key) ? Self.removedSecret : (p.value(r.key)?.description ?? "")
            return "\(r.key) = \(value)"
        }.joined(separator: "\n") + "\n", modified: now)

        archive.add("diagnostics/configuration-audit.log", try database.audit(limit: 10_000).reversed().map { a in
            let hide = secrets.contains(a.key)
            return "\(OCPPDate.format(a.at)) \(a.changedBy) \(a.key): \(hide ? Self.removedSecret : a.oldValue ?? "(default)") → \(hide ? Self.removedSecret : a.newValue)"
        }.joined(separator: "\n") + "\n", modified: now)

        var csv = "id,connector,idTag,startedAt,meterStartWh,stoppedAt,meterStopWh,stopReason,reservationId\n"
        for r in try database.sessions(from: startTime, to: stopTime) {
            let x = r.session
            csv += [x.id.uuidString, String(x.connector), x.idTag, OCPPDate.format(x.startedAt), String(x.meterStartWh),
                    r.stoppedAt.map(OCPPDate.format) ?? "", r.meterStopWh.map { String($0) } ?? "", r.stopReason?.rawValue ?? "",
                    x.reservationID.map(String.init) ?? ""].map(CSVCell.field).joined(separator: ",") + "\n"
        }
        archive.add("diagnostics/sessions.csv", csv, modified: now)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        archive.add("diagnostics/status.json", String(decoding: try encoder.encode(controller.snapshot(now: now)), as: UTF8.self), modified: now)

        let link = ocpp?.chargePoint.link
        archive.add("diagnostics/ocpp.txt", """
            Backend URL:            \(ocpp?.chargePoint.settings.url ?? "(none)")
            Connected:              \(link?.connected ?? false)
            Registration:           \(link.map { "\($0.registration)" } ?? "-")
            Queued transaction messages: \((try? database.transactionQueueCount()) ?? 0)
            Reservations:           \(controller.reservations.reservations.map { "\($0.id)@\($0.connector) until \(OCPPDate.format($0.expiresAt))" }.joined(separator: ", "))

            """, modified: now)
        return archive
    }

}
