#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import Hosting
import Persistence
import Transport

/// The station's diagnostics files (``StationDiagnostics``) from the store and the controller, packed by Transport.
extension StationRuntime {
    func diagnosticsArchive(from startTime: Date?, to stopTime: Date?) throws -> [UInt8] {
        try diagnosticsFiles(from: startTime, to: stopTime).gzipped()
    }

    /// The event log and the sessions between the times, configuration, status and OCPP state.
    func diagnosticsFiles(from startTime: Date?, to stopTime: Date?) throws -> FileArchive {
        let now = clock.now()
        let diagnostics = StationDiagnostics(
            settings: controller.settings, firmwareVersion: firmwareVersion(build: ChargeKitVersion.current), now: now,
            startTime: startTime, stopTime: stopTime, events: try database.events(limit: StationDiagnostics.eventLimit, from: startTime, to: stopTime),
            parameters: parameterService.values, audit: try database.audit(limit: StationDiagnostics.auditLimit),
            sessions: try database.sessions(from: startTime, to: stopTime), snapshot: controller.snapshot(now: now), chargePoint: ocpp?.chargePoint,
            queuedTransactionMessages: (try? database.transactionQueueCount()) ?? 0, reservations: controller.reservations.reservations,
            securityLog: try database.securityLog(from: startTime, to: stopTime, limit: SecurityLogPolicy.maxEntries))
        var archive = FileArchive()
        for file in try diagnostics.files() { archive.add(file.path, file.text, modified: now) }
        return archive
    }
}
