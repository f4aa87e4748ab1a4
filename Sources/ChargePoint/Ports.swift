#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement

/// One persisted meter sample of a connector.
public struct MeterSample: Sendable, Codable, Equatable {
    public var connector: Int
    public var sessionID: UUID?
    public var at: Date
    public var energyWh: Double
    public var powerW: Double
    public var currentA: PhaseValues
    public var voltageV: PhaseValues
    /// The session's PV/grid split so far (persisted with the session in the same write as the sample), nil outside a
    /// session.
    public var solarShare: SolarShare?

    public init(connector: Int, sessionID: UUID?, at: Date, energyWh: Double, powerW: Double, currentA: PhaseValues, voltageV: PhaseValues,
                solarShare: SolarShare? = nil) {
        self.connector = connector; self.sessionID = sessionID; self.at = at; self.energyWh = energyWh
        self.powerW = powerW; self.currentA = currentA; self.voltageV = voltageV; self.solarShare = solarShare
    }
}

/// A stored session, running or finished.
public struct SessionRecord: Sendable, Codable, Equatable {
    public var session: ChargingSession
    public var stoppedAt: Date?
    public var meterStopWh: Double?
    public var stopReason: StopReason?
    /// The identifier that stopped the session, when it is not the one that started it.
    public var stoppedBy: String?
    /// The last sample stored for the session (for recovery after power loss).
    public var lastSample: MeterSample?
    /// The OCPP transactionId the central system assigned (StartTransaction.conf), so that the history can be reconciled
    /// with the backend; nil without a backend or before the answer.
    public var transactionId: Int?
    /// The session's energy split into PV and grid (running: as last persisted; stopped: final); nil for sessions of
    /// a version before the split was recorded.
    public var solarShare: SolarShare?
    /// The meter's signed readings of the session (OCMF at its begin and end) and its public key (issue 28 item 6); nil
    /// when the meter signed nothing.
    public var signedMeter: SignedMeterRecord?

    public init(session: ChargingSession, stoppedAt: Date? = nil, meterStopWh: Double? = nil, stopReason: StopReason? = nil,
                stoppedBy: String? = nil, lastSample: MeterSample? = nil, transactionId: Int? = nil, solarShare: SolarShare? = nil,
                signedMeter: SignedMeterRecord? = nil) {
        self.session = session; self.stoppedAt = stoppedAt; self.meterStopWh = meterStopWh
        self.stopReason = stopReason; self.stoppedBy = stoppedBy; self.lastSample = lastSample; self.transactionId = transactionId
        self.solarShare = solarShare; self.signedMeter = signedMeter
    }

    /// Energy charged in Wh, once stopped.
    public var energyWh: Double? { meterStopWh.map { $0 - session.meterStartWh } }
}

/// A session's signed meter data: what the driver checks with the transparency software (issue 28 item 6).
public struct SignedMeterRecord: Sendable, Codable, Equatable {
    /// The OCMF document of the reading at the start of the transaction (TX "B").
    public var begin: String?
    /// The OCMF document of the reading at its end (TX "E").
    public var end: String?
    /// The meter's public key when it signed (hex DER SubjectPublicKeyInfo): kept with the session, so that a session
    /// stays checkable after the meter is exchanged.
    public var publicKeyHex: String?

    public init(begin: String? = nil, end: String? = nil, publicKeyHex: String? = nil) {
        self.begin = begin; self.end = end; self.publicKeyHex = publicKeyHex
    }

    /// The record with `reading` added.
    public func adding(_ reading: SignedReading, publicKeyHex key: String?) -> SignedMeterRecord {
        var r = self
        switch reading.context {
        case .transactionBegin: r.begin = reading.ocmf
        case .transactionEnd: r.end = reading.ocmf
        case .samplePeriodic: break
        }
        r.publicKeyHex = r.publicKeyHex ?? key
        return r
    }
}

/// Kinds of entries in the event log.
public enum EventKind: String, Sendable, Codable, CaseIterable {
    case stationStarted
    case stationStopped
    case errorRaised
    case errorResolved
    case sessionStarted
    case sessionStopped
    case sessionResumed
    case authorizationAccepted
    case authorizationRejected
    case identifierLearned
    case whitelistChanged
    case authorizationExpired
    case parameterChanged
    /// A reservation was placed, refused, cancelled, used or expired.
    case reservationChanged
    /// An OCPP charging profile was installed, refused, cleared or expired.
    case chargingProfileChanged
    /// The source that limits a connector's current changed, or the connector paused or resumed.
    case currentLimitChanged
    /// A DLM slave connected, fell silent or was removed; a slave found or lost its master.
    case dlmLinkChanged
    /// An operator action on the station itself: restart, reboot, factory reset, clock set (web interface, seeds/002 §1.2).
    case systemAction
    /// A firmware update was installed or its installation failed (code `installed` or `failed`).
    case firmwareInstallation
    /// Wrong passwords locked a login of the web interface for a source address.
    case loginLockout
    /// The OCPP backend has been unreachable longer than the e-mail alerts' threshold (code `offline`), or is back
    /// after such a silence (code `online`).
    case backendConnection
}

/// One entry of the event log.
public struct EventLogEntry: Sendable, Codable, Equatable {
    public var at: Date
    public var kind: EventKind
    /// Connector number, 0 for the station.
    public var connector: Int
    /// Error identifier for error entries.
    public var code: String?
    public var message: String

    public init(at: Date, kind: EventKind, connector: Int, code: String? = nil, message: String) {
        self.at = at; self.kind = kind; self.connector = connector; self.code = code; self.message = message
    }
}

/// The persistence port of the station controller. Every call returns only after the data is durable
/// (design principle "nothing is lost": persisted before acknowledged).
public protocol StationStore: Sendable {
    /// `queueForBackend`: the session's StartTransaction joins the OCPP transaction queue in the same write (a
    /// backend is configured), so that a `kill -9` can neither lose nor duplicate it (OCPP 1.6 §4.10).
    func sessionStarted(_ session: ChargingSession, queueForBackend: Bool) throws
    /// `stoppedBy`: the identifier that stopped the session when it differs from the one that started it (a card of
    /// the same group, a master card).
    /// `queueForBackend`: the StopTransaction joins the OCPP transaction queue in the same write, when the backend
    /// knows the transaction (its StartTransaction is queued or was delivered).
    /// `solarShare`: the session's final PV/grid split, stored in the same write (issue 25 item 4).
    func sessionStopped(_ id: UUID, at: Date, meterStopWh: Double, reason: StopReason, stoppedBy: String?, queueForBackend: Bool,
                        solarShare: SolarShare?) throws
    /// Keeps a signed reading (OCMF) of session `id` with the meter's public key, before the StopTransaction that
    /// carries it can be sent or anything shows it (issue 28 item 6: persisted before it is acknowledged).
    func sessionSignedReading(_ id: UUID, _ reading: SignedReading, publicKeyHex: String?) throws
    /// Stores samples and the hardware's persistent state in one transaction.
    func record(samples: [MeterSample], hardwareState: Data?) throws
    /// Deletes what `policy` no longer keeps, at most ``RetentionPolicy/batch`` rows per table (issue #20 item 6).
    func applyRetention(_ policy: RetentionPolicy, now: Date) throws -> RetentionReport
    /// Sessions that were never stopped, with their last sample.
    func openSessions() throws -> [SessionRecord]
    func append(_ entry: EventLogEntry) throws
    /// The persistent DLM slave DB of a master (seeds/004 §7.4).
    func loadDLMSlaves() throws -> [DLMSlaveRecord]
    /// Inserts or replaces slave records (same id) in one write.
    func saveDLMSlaves(_ records: [DLMSlaveRecord]) throws
    func deleteDLMSlaves(ids: [String]) throws
    /// A session started without identification got its identifier (If in doubt: ImmediatelyOnPlugIn).
    func sessionIdentified(_ id: UUID, idTag: String) throws
    /// The local whitelist, the OCPP local list and the authorization cache.
    func loadAuthorizationLists() throws -> AuthorizationLists
    /// Replaces the stored local whitelist.
    func saveWhitelist(_ entries: [WhitelistEntry]) throws
    /// Inserts or replaces a cache entry.
    func saveCacheEntry(_ entry: ListedIdentifier) throws
    /// Empties the authorization cache (ClearCache).
    func clearCache() throws
    /// Replaces the OCPP local authorization list.
    func saveLocalList(version: Int, entries: [ListedIdentifier]) throws
    /// The stored reservations. A session that carries a `reservationID` removes its reservation in
    /// ``sessionStarted(_:queueForBackend:)``, in the same write.
    func loadReservations() throws -> [Reservation]
    /// Inserts or replaces a reservation (same id).
    func saveReservation(_ reservation: Reservation) throws
    func deleteReservation(id: Int) throws
    /// The installed OCPP charging profiles.
    func loadChargingProfiles() throws -> [InstalledProfile]
    /// Inserts or replaces profiles and deletes others (by chargingProfileId) in one write.
    func saveChargingProfiles(_ profiles: [InstalledProfile], deleting ids: [Int]) throws
    /// The connectors whose session ended while the vehicle stayed plugged (Finishing until it is unplugged). A
    /// restart must not turn them into Preparing, where the next card would start a session for the wrong vehicle
    /// (issue 20 item 3).
    func loadFinishedConnectors() throws -> Set<Int>
    /// Replaces the set of finished connectors.
    func saveFinishedConnectors(_ connectors: Set<Int>) throws
}

/// The persistence port of the parameter registry: values and their audit trail.
public protocol ParameterStore: Sendable {
    func loadParameters() throws -> [String: ParameterValue]
    /// Stores a value and its audit entry in one write. For a `secret` parameter the audit entry holds
    /// ``ParameterAuditEntry/secretMarker`` instead of the old and the new value.
    func saveParameter(key: String, value: ParameterValue, old: ParameterValue?, changedBy: String, at: Date, secret: Bool) throws
}

extension StationStore {
    /// A stop record without a PV/grid split (tools and tests that write sessions themselves).
    public func sessionStopped(_ id: UUID, at: Date, meterStopWh: Double, reason: StopReason, stoppedBy: String?, queueForBackend: Bool) throws {
        try sessionStopped(id, at: at, meterStopWh: meterStopWh, reason: reason, stoppedBy: stoppedBy, queueForBackend: queueForBackend,
                           solarShare: nil)
    }
}
