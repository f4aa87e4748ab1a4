#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import ChargePoint
import EVSECore
import LoadManagement
import Synchronization

/// A manual clock for scenario tests: time moves only when the test says so.
public struct ManualClock: Sendable {
    public private(set) var now: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { now = start }

    /// Moves time forward.
    public mutating func advance(by d: Duration) { now = now.addingTimeInterval(d.seconds) }
}

/// Deterministic session identifiers: 00000000-0000-0000-0000-000000000001, …
public final class SequentialIDs: Sendable {
    private let counter = Mutex(0)
    public init() {}
    public func next() -> UUID {
        let n = counter.withLock { c -> Int in c += 1; return c }
        let digits = String(n)
        return UUID(uuidString: "00000000-0000-0000-0000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits) ?? UUID()
    }
}

/// An in-memory ``StationStore`` that can be told to fail, for controller tests.
public final class InMemoryStationStore: StationStore {
    public struct State: Sendable {
        public var sessions: [UUID: SessionRecord] = [:]
        public var order: [UUID] = []
        public var samples: [MeterSample] = []
        public var events: [EventLogEntry] = []
        public var hardwareState: Data?
        public var lists = AuthorizationLists()
        public var reservations: [Reservation] = []
        public var chargingProfiles: [InstalledProfile] = []
        public var dlmSlaves: [String: DLMSlaveRecord] = [:]
        public var finishedConnectors: Set<Int> = []
        public var failWrites = false
    }

    private let state = Mutex(State())

    public init() {}

    public var snapshot: State { state.withLock { $0 } }

    public func setFailWrites(_ fail: Bool) { state.withLock { $0.failWrites = fail } }

    struct WriteFailed: Error {}

    public func sessionStarted(_ session: ChargingSession, queueForBackend: Bool) throws {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            s.sessions[session.id] = SessionRecord(session: session)
            s.order.append(session.id)
            if let r = session.reservationID { s.reservations.removeAll { $0.id == r } }
        }
    }

    public func sessionStopped(_ id: UUID, at: Date, meterStopWh: Double, reason: StopReason, stoppedBy: String?, queueForBackend: Bool,
                               solarShare: SolarShare?) throws {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            s.sessions[id]?.solarShare = solarShare
            s.sessions[id]?.stoppedAt = at
            s.sessions[id]?.meterStopWh = meterStopWh
            s.sessions[id]?.stopReason = reason
            s.sessions[id]?.stoppedBy = stoppedBy
        }
    }

    public func sessionSignedReading(_ id: UUID, _ reading: SignedReading, publicKeyHex: String?) throws {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            let record = (s.sessions[id]?.signedMeter ?? SignedMeterRecord()).adding(reading, publicKeyHex: publicKeyHex)
            s.sessions[id]?.signedMeter = record
        }
    }

    public func record(samples: [MeterSample], hardwareState: Data?) throws {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            s.samples += samples
            for m in samples {
                if let id = m.sessionID, let share = m.solarShare, s.sessions[id]?.stoppedAt == nil { s.sessions[id]?.solarShare = share }
            }
            s.hardwareState = hardwareState
        }
    }

    /// The same policy as the database: samples by age and count (the newest of each running session kept), events by
    /// count; at most a batch per pass.
    public func applyRetention(_ policy: RetentionPolicy, now: Date) throws -> RetentionReport {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            let running = Set(s.sessions.values.filter { $0.stoppedAt == nil }.map(\.session.id))
            let keep = Set(running.compactMap { id in s.samples.lastIndex { $0.sessionID == id } })
            let cutoff = now.addingTimeInterval(-policy.meterSampleMaxAgeSeconds)
            let beyond = s.samples.count - RetentionPolicy.meterSampleMaxRows
            let drop = s.samples.indices.prefix(RetentionPolicy.batch).filter { i in !keep.contains(i) && (s.samples[i].at < cutoff || i < beyond) }
            for i in drop.reversed() { s.samples.remove(at: i) }
            let events = min(RetentionPolicy.batch, max(0, s.events.count - RetentionPolicy.eventMaxRows))
            s.events.removeFirst(events)
            return RetentionReport(meterSamples: drop.count, events: events)
        }
    }

    public func openSessions() throws -> [SessionRecord] {
        state.withLock { s in
            s.order.compactMap { id in
                guard var r = s.sessions[id], r.stoppedAt == nil else { return nil }
                r.lastSample = s.samples.last { $0.sessionID == id }
                return r
            }
        }
    }

    public func append(_ entry: EventLogEntry) throws {
        state.withLock { $0.events.append(entry) }
    }

    public func sessionIdentified(_ id: UUID, idTag: String) throws {
        try write { s in
            s.sessions[id]?.session.idTag = idTag
            s.sessions[id]?.session.presentedIdTag = idTag
        }
    }

    public func loadAuthorizationLists() throws -> AuthorizationLists { state.withLock { $0.lists } }

    public func saveWhitelist(_ entries: [WhitelistEntry]) throws {
        try write { $0.lists.whitelist = LocalWhitelist(entries: entries) }
    }

    public func saveCacheEntry(_ entry: ListedIdentifier) throws {
        try write { s in
            s.lists.remember(entry)
        }
    }

    public func clearCache() throws { try write { $0.lists.cache = [] } }

    public func loadReservations() throws -> [Reservation] { state.withLock { $0.reservations } }

    public func saveReservation(_ reservation: Reservation) throws {
        try write { s in
            s.reservations.removeAll { $0.id == reservation.id }
            s.reservations.append(reservation)
        }
    }

    public func deleteReservation(id: Int) throws { try write { $0.reservations.removeAll { $0.id == id } } }

    public func loadChargingProfiles() throws -> [InstalledProfile] { state.withLock { $0.chargingProfiles } }

    public func loadFinishedConnectors() throws -> Set<Int> { state.withLock { $0.finishedConnectors } }

    public func saveFinishedConnectors(_ connectors: Set<Int>) throws { try write { $0.finishedConnectors = connectors } }

    public func loadDLMSlaves() throws -> [DLMSlaveRecord] { state.withLock { $0.dlmSlaves.values.sorted { $0.id < $1.id } } }

    public func saveDLMSlaves(_ records: [DLMSlaveRecord]) throws {
        try write { s in for r in records { s.dlmSlaves[r.id] = r } }
    }

    public func deleteDLMSlaves(ids: [String]) throws {
        try write { s in for id in ids { s.dlmSlaves[id] = nil } }
    }

    public func saveChargingProfiles(_ profiles: [InstalledProfile], deleting ids: [Int]) throws {
        try write { s in
            let replaced = Set(ids + profiles.map(\.id))
            s.chargingProfiles.removeAll { replaced.contains($0.id) }
            s.chargingProfiles += profiles
        }
    }

    public func saveLocalList(version: Int, entries: [ListedIdentifier]) throws {
        try write { s in
            s.lists.localList = entries
            s.lists.localListVersion = version
        }
    }

    private func write(_ body: (inout State) -> Void) throws {
        try state.withLock { s in
            if s.failWrites { throw WriteFailed() }
            body(&s)
        }
    }

    /// Sessions in start order.
    public var sessions: [SessionRecord] {
        state.withLock { s in s.order.compactMap { s.sessions[$0] } }
    }
}

/// An in-memory ``ParameterStore`` with its audit trail.
public final class InMemoryParameterStore: ParameterStore {
    private let state = Mutex<([String: ParameterValue], [ParameterAuditEntry])>(([:], []))

    public init(_ values: [String: ParameterValue] = [:]) { state.withLock { $0.0 = values } }

    public var audit: [ParameterAuditEntry] { state.withLock { $0.1 } }

    public func loadParameters() throws -> [String: ParameterValue] { state.withLock { $0.0 } }

    public func saveParameter(key: String, value: ParameterValue, old: ParameterValue?, changedBy: String, at: Date, secret: Bool) throws {
        state.withLock { s in
            s.0[key] = value
            let marker = ParameterAuditEntry.secretMarker
            s.1.append(ParameterAuditEntry(key: key, oldValue: secret ? old.map { _ in marker } : old?.description,
                                           newValue: secret ? marker : value.description, changedBy: changedBy, at: at))
        }
    }
}
