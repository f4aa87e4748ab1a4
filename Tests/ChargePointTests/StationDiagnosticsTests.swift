import Foundation
import Testing
import EVSECore
import OCPP16
import Simulator
import TestSupport
@testable import ChargePoint

/// The diagnostics files of GetDiagnostics and the System page's log download (OCPP 1.6 §5.9); the interop suite
/// checks them again in the archives the binary uploads.
@Suite("Station diagnostics files")
struct StationDiagnosticsTests {
    @Test("secrets are removed, the log is chronological and escaped, cells are spreadsheet-safe, the range is named")
    func files() throws {
        let rig = Rig()
        let t0 = rig.clock.now
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 2))
        p.set(StationParameters.authorizationKey, .string("0123456789abcdef"))
        let session = ChargingSession(id: UUID(), connector: 1, idTag: "=HYPERLINK(1)", method: .rfid, startedAt: t0, meterStartWh: 10)
        let d = StationDiagnostics(
            settings: rig.controller.settings, firmwareVersion: "9.9.9", now: t0, startTime: t0.addingTimeInterval(-60), stopTime: nil,
            events: [EventLogEntry(at: t0.addingTimeInterval(2), kind: .sessionStopped, connector: 1, message: "second"),
                     EventLogEntry(at: t0.addingTimeInterval(1), kind: .sessionStarted, connector: 1, code: "X", message: "first\nFORGED")],
            parameters: p, audit: [ParameterAuditEntry(key: StationParameters.authorizationKey, oldValue: nil, newValue: "(secret)", changedBy: "web:operator", at: t0)],
            sessions: [SessionRecord(session: session, stoppedAt: t0.addingTimeInterval(60), meterStopWh: 20, stopReason: .local)],
            snapshot: rig.controller.snapshot(now: t0), chargePoint: nil, queuedTransactionMessages: 3, reservations: [])
        let files = Dictionary(uniqueKeysWithValues: try d.files().map { ($0.path, $0.text) })
        #expect(Set(files.keys) == ["diagnostics/README.txt", "diagnostics/events.log", "diagnostics/configuration.txt",
                                    "diagnostics/configuration-audit.log", "diagnostics/sessions.csv", "diagnostics/status.json", "diagnostics/ocpp.txt",
                                    "diagnostics/security-log.csv"])
        let readme = try #require(files["diagnostics/README.txt"])
        #expect(readme.contains("Firmware:  9.9.9") && readme.contains("Log range: \(OCPPDate.format(t0.addingTimeInterval(-60))) to now"))
        let events = try #require(files["diagnostics/events.log"]).split(separator: "\n")
        #expect(events.count == 2 && events[0].hasSuffix("[sessionStarted] connector 1 X: first\\nFORGED") && events[1].hasSuffix("second"))
        let configuration = try #require(files["diagnostics/configuration.txt"])
        #expect(configuration.contains("AuthorizationKey = <removed>\n") && !configuration.contains("0123456789abcdef"))
        #expect(try #require(files["diagnostics/configuration-audit.log"]).contains("AuthorizationKey: <removed> → <removed>"))
        let csv = try #require(files["diagnostics/sessions.csv"])
        #expect(csv.contains(",'=HYPERLINK(1),") && csv.hasPrefix("id,connector,idTag,startedAt,"))
        #expect(try #require(files["diagnostics/ocpp.txt"]).contains("Backend URL:            (none)"))
        #expect(try #require(files["diagnostics/ocpp.txt"]).contains("Queued transaction messages: 3"))
        let status = try #require(files["diagnostics/status.json"])
        #expect(try JSONSerialization.jsonObject(with: Data(status.utf8)) is [String: Any])
    }
}
