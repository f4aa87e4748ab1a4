#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint
import EVSECore

/// The signed meter data of each session (issue 28 item 6): the OCMF documents of its begin and end and the meter's
/// public key, in the session's row, so that the StopTransaction built from the row carries them and the history exports
/// them.
extension StationDatabase {
    static func registerSignedMeterMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v14-session-signed-meter-values") { db in
            try db.execute(sql: """
                ALTER TABLE session ADD COLUMN signedMeterBegin TEXT;
                ALTER TABLE session ADD COLUMN signedMeterEnd TEXT;
                ALTER TABLE session ADD COLUMN meterPublicKey TEXT;
                """)
        }
    }

    static func signedMeter(_ row: Row) throws -> SignedMeterRecord? {
        let r = try SignedMeterRecord(begin: row["signedMeterBegin"], end: row["signedMeterEnd"], publicKeyHex: row["meterPublicKey"])
        return r.begin == nil && r.end == nil && r.publicKeyHex == nil ? nil : r
    }

    /// Stores a signed reading in its session's row (the first public key a session saw stays).
    public func sessionSignedReading(_ id: UUID, _ reading: SignedReading, publicKeyHex: String?) throws {
        let column: String
        switch reading.context {
        case .transactionBegin: column = "signedMeterBegin"
        case .transactionEnd: column = "signedMeterEnd"
        case .samplePeriodic: return  // sent in a MeterValues; the session keeps its begin and end
        }
        try writer.write { db in
            try db.execute(sql: "UPDATE session SET \(column) = ?, meterPublicKey = COALESCE(meterPublicKey, ?) WHERE id = ?",
                           arguments: [reading.ocmf, publicKeyHex, id.uuidString])
        }
    }
}
