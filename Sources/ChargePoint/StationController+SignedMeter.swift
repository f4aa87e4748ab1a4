#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A signed reading asked of a connector's meter and not yet delivered.
struct PendingSignedReading: Sendable, Equatable {
    var request: SignedReadingRequest
    var requestedAt: Date
}

/// Signed meter values for German calibration law (issue 28 item 6): the controller asks the connector's signing meter
/// for an OCMF reading when a transaction begins and when it ends, stores each delivered reading with its session before
/// anything shows or sends it, and keeps the catalogue's RegulatoryComplianceFailure (seeds/002 §3) while "Require signed
/// meter values" is On and the meter's public key or a signature cannot be read — the error stops charging, so a
/// connector without a working signing meter neither starts nor continues a session.
extension StationController {
    /// How long a requested signed reading may take before it counts as missing: the OCA's "Signed Meter Values in OCPP"
    /// whitepaper (v1.0, 2025-02-10, OCPP 1.6 part) says the StopTransaction goes only after the last certified value and
    /// that some meters take up to 30 s to deliver it.
    public static var signedReadingTimeout: Duration { .seconds(30) }

    /// Asks connector `n`'s meter for a signed reading of session `s` (a meter that does not sign ignores it; with
    /// "Require signed meter values" the request is kept so that its absence raises the error).
    mutating func requestSignedReading(_ n: Int, _ s: ChargingSession, _ context: SignedReadingContext, now: Date) {
        guard board.reading(connector: n)?.signingMeter != nil || settings.requireSignedMeterValues else { return }
        let request = SignedReadingRequest(session: s.id, context: context, idTag: s.idTag,
                                           authorizedByBackend: s.source == .backend || s.source == .cache || s.source == .localList,
                                           at: now)
        // A newer request of the same kind replaces one still waiting (a periodic reading that is late is not sent).
        connectors[n - 1].signedReadings.removeAll { $0.request.session == s.id && $0.request.context == context }
        connectors[n - 1].signedReadings.append(PendingSignedReading(request: request, requestedAt: now))
        effects.append(.hardware(.requestSignedReading(connector: n, request)))
    }

    /// Asks connector `n`'s signing meter for a signed reading of its running session for a MeterValues
    /// (`SampledDataSignReadings`, the OCA's signed meter values whitepaper); nothing without a session, a signing meter
    /// or the setting.
    public mutating func requestSignedSample(connector n: Int, now: Date) {
        guard settings.signSampledReadings, connectors.indices.contains(n - 1), board.reading(connector: n)?.signingMeter != nil,
              let s = connectors[n - 1].session.activeSession else { return }
        requestSignedReading(n, s, .samplePeriodic, now: now)
    }

    /// One control step of connector `n`'s signing meter: stores what it delivered, watches the bound, raises or
    /// resolves the error.
    mutating func pollSignedMeter(_ n: Int, _ r: ConnectorReading, now: Date) {
        let required = settings.requireSignedMeterValues
        var waiting: [PendingSignedReading] = []
        for p in connectors[n - 1].signedReadings {
            if let signed = r.signingMeter?.reading(for: p.request) {
                if p.request.context == .samplePeriodic {
                    // For a MeterValues of the transaction; the session keeps only its begin and end.
                    notice(.signedMeterValue(connector: n, signed))
                    continue
                }
                do {
                    try store.sessionSignedReading(p.request.session, signed, publicKeyHex: r.signingMeter?.publicKeyHex)
                    connectors[n - 1].signatureOverdue = false
                    persistPending = true
                } catch {
                    notice(.storeFailed(what: "sessionSignedReading", error: "\(error)"))
                    waiting.append(p)
                }
                continue
            }
            let what = "the signed \(p.request.context.rawValue) reading of session \(p.request.session)"
            // A board without its link never passed the request on: unless signing is required, nothing waits for it.
            if !r.boardLinked && !required {
                notice(.meterCommunication("Connector \(n): the board's link is lost, so \(what) cannot come; the transaction goes without it", communicating: false))
                continue
            }
            guard now.timeIntervalSince(p.requestedAt) >= Self.signedReadingTimeout.seconds else { waiting.append(p); continue }
            if p.request.context == .samplePeriodic {
                notice(.meterCommunication("Connector \(n): the meter delivered no \(what) within \(Int(Self.signedReadingTimeout.seconds)) s; the MeterValues goes without it", communicating: false))
            } else if required {
                // Never without it: the StopTransaction keeps waiting, the meter is asked again, the error shows why.
                connectors[n - 1].signatureOverdue = true
                notice(.meterCommunication("Connector \(n): the meter delivered no \(what) within \(Int(Self.signedReadingTimeout.seconds)) s; asking again", communicating: false))
                var again = p.request
                again.at = now
                waiting.append(PendingSignedReading(request: again, requestedAt: now))
                effects.append(.hardware(.requestSignedReading(connector: n, again)))
            } else {
                notice(.meterCommunication("Connector \(n): the meter delivered no \(what) within \(Int(Self.signedReadingTimeout.seconds)) s; the transaction goes without it", communicating: false))
            }
        }
        connectors[n - 1].signedReadings = waiting
        if !required { connectors[n - 1].signatureOverdue = false }
        let keyMissing = required && r.signingMeter?.publicKeyHex == nil
        setError("signedMeterValuesUnavailable", connector: n, active: keyMissing || connectors[n - 1].signatureOverdue, now: now)
    }

    /// Whether the signed begin or end reading of session `id` is still awaited: its StopTransaction waits for it (a
    /// periodic one goes in a MeterValues of its own and holds nothing).
    public func awaitsSignedReading(session id: UUID) -> Bool {
        connectors.contains { c in c.signedReadings.contains { $0.request.session == id && $0.request.context != .samplePeriodic } }
    }

    /// Whether the StopTransaction of `record` must wait: a signed reading of it is awaited, or — signing required, the
    /// meter signed the session's begin and the end is missing from the record (a restart lost the request) — the meter
    /// is asked for it again now. A session whose begin was never signed (signing required only after it started) is
    /// not held: a reading signed now would not belong to it.
    public mutating func holdsStopTransaction(_ record: SessionRecord, now: Date) -> Bool {
        if awaitsSignedReading(session: record.session.id) { return true }
        guard settings.requireSignedMeterValues, record.signedMeter?.begin != nil, record.signedMeter?.end == nil,
              connectors.indices.contains(record.session.connector - 1) else { return false }
        requestSignedReading(record.session.connector, record.session, .transactionEnd, now: now)
        return true
    }

    /// The public key of connector `n`'s meter (hex DER SubjectPublicKeyInfo), nil when it does not sign or cannot be read.
    public func meterPublicKey(connector n: Int) -> String? { board.reading(connector: n)?.signingMeter?.publicKeyHex }

    /// Every connector's meter public key that can be read (``meterPublicKey(connector:)``).
    public var meterPublicKeys: [Int: String] {
        var keys: [Int: String] = [:]
        for n in 1...connectorCount { if let k = meterPublicKey(connector: n) { keys[n] = k } }
        return keys
    }
}
