#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// The station's authorization flow (seeds/004 §5, OCPP 1.6 §3.5) as a state machine: which connector an identifier
/// presented at the station is for, whether it stops a running session, the Authorize requests that wait for the
/// backend (and the offline rules when it does not answer in time), the backend's answers, and learning mode. The
/// decisions about one identifier are the ``AuthorizationEngine``'s; this machine applies them to the connectors and
/// returns ``Action``s that the station carries out.
public struct AuthorizationFlow: Sendable {
    /// The decisions, with the lists (local whitelist, OCPP local list, cache).
    public var engine: AuthorizationEngine
    /// Authorize requests that wait for the backend, oldest first.
    public private(set) var pending: [Request] = []
    /// Learning mode ("Add entry", seeds/004 §5.5) is on until this time.
    public private(set) var learningUntil: Date?
    /// Identifiers added in learning mode since it was switched on.
    public private(set) var learned: [String] = []

    /// How many entries the authorization cache keeps (the least recently updated go first).
    let cacheCapacity: Int

    public init(engine: AuthorizationEngine, cacheCapacity: Int) { self.engine = engine; self.cacheCapacity = cacheCapacity }

    /// An identifier presented for a connector, and how.
    public struct Request: Sendable, Equatable {
        public var presented: PresentedIdentifier
        public var connector: Int
        public var method: AuthorizationMethod
        public var since: Date
    }

    /// A connector as the flow sees it (index 0 = connector 1).
    public struct Connector: Sendable, Equatable {
        /// The running or started session (nil: none).
        public var session: ChargingSession?
        /// Operative and not stopped by an error.
        public var available: Bool
        /// Its session is active (a vehicle waits for an authorization otherwise).
        public var sessionActive: Bool
        public var vehicleConnected: Bool
        /// Finishing with the vehicle still plugged in: the next card is not for it.
        public var finishedWhileConnected: Bool
        /// Reserved (for anyone).
        public var reserved: Bool
        /// Reserved for the identifier being presented.
        public var reservedForPresented: Bool

        public init(session: ChargingSession?, available: Bool, sessionActive: Bool, vehicleConnected: Bool, finishedWhileConnected: Bool,
                    reserved: Bool, reservedForPresented: Bool = false) {
            self.session = session; self.available = available; self.sessionActive = sessionActive; self.vehicleConnected = vehicleConnected
            self.finishedWhileConnected = finishedWhileConnected; self.reserved = reserved; self.reservedForPresented = reservedForPresented
        }
    }

    /// What the station must do, in order.
    public enum Action: Sendable, Equatable {
        /// Stop the connector's session because `idTag` was presented (reason Local).
        case stop(connector: Int, idTag: String)
        /// The session started on plug-in without identification takes this card (the backend confirms it later).
        case identify(connector: Int, idTag: String)
        /// Authorize the connector (its reservation rules still apply).
        case grant(connector: Int, AuthorizationGrant, AuthorizationMethod)
        /// Refused: the event log's "authorization rejected", with the identifier as its code when there is one.
        case reject(connector: Int, String, idTag: String?)
        /// Send Authorize.req for `idTag`.
        case askBackend(idTag: String, connector: Int)
        /// The backend rejected the identifier of a provisional session: stop it (reason DeAuthorized).
        case deauthorize(connector: Int, idTag: String, IdentifierStatus)
        /// Persist this entry of the authorization cache.
        case cache(ListedIdentifier)
    }

    // MARK: Events

    /// An identifier was presented at the station (card, digital input, vehicle MAC, Modbus, RemoteStart).
    ///
    /// Order: a card that may stop a running session stops it (Stop Transaction Mode, group, master card); a session
    /// started on plug-in without identification takes the card; otherwise the engine decides for `connector`, or for
    /// the connector where a vehicle waits, else the one reserved for this identifier, else the first free connector
    /// that is not reserved (the authorization follows the vehicle if it is plugged in elsewhere).
    public mutating func present(_ p: PresentedIdentifier, method: AuthorizationMethod, connector: Int? = nil,
                                 _ connectors: [Connector], online: Bool, now: Date) -> [Action] {
        for (i, c) in connectors.enumerated() {
            guard let s = c.session, !s.idTag.isEmpty else { continue }
            let started = AuthorizationGrant(idTag: s.idTag, presented: s.presentedIdTag, parentIdTag: s.parentIdTag,
                                             source: s.source ?? .localWhitelist)
            if engine.mayStop(started: started, presented: p.idTag, connector: i + 1, now: now) != nil {
                return [.stop(connector: i + 1, idTag: p.idTag)]
            }
        }
        if p.kind == .rfid, let i = connectors.firstIndex(where: { $0.session?.idTag.isEmpty == true }) {
            return [.identify(connector: i + 1, idTag: p.idTag)]
        }
        func usable(_ i: Int) -> Bool {
            connectors[i].available && !connectors[i].sessionActive && !pending.contains { $0.connector == i + 1 }
        }
        let target: Int?
        if let connector {
            target = connectors.indices.contains(connector - 1) && usable(connector - 1) ? connector - 1 : nil
        } else {
            let waiting = connectors.indices.first { usable($0) && connectors[$0].vehicleConnected && !connectors[$0].finishedWhileConnected }
            let free = connectors.indices.filter { usable($0) && !connectors[$0].vehicleConnected }
            let reservedForTag = free.first { connectors[$0].reservedForPresented }
            target = waiting ?? reservedForTag ?? free.first { !connectors[$0].reserved } ?? free.first
        }
        guard let i = target else {
            // No free connector: a card of a running session's group may still stop it once the backend names its
            // group (OCPP 1.6 §3.10 / OCTT TC_069).
            if online, engine.settings.stopMode.cardStops, let g = connectors.firstIndex(where: { $0.session?.parentIdTag != nil }) {
                return decided(.askBackend, Request(presented: p, connector: g + 1, method: method, since: now))
            }
            return [.reject(connector: 0, "\(p.idTag) presented but no connector is free", idTag: nil)]
        }
        return decided(engine.decide(p, connector: i + 1, online: online, now: now),
                       Request(presented: p, connector: i + 1, method: method, since: now))
    }

    /// A vehicle was plugged in on `connector` in Plug&Charge mode (seeds/002 §1.7 "no RFID", §2.3
    /// `/hw/auth/device/Dummy/enabled`): the dummy RFID is presented for that connector. Online it goes to the backend
    /// in an Authorize every time, whatever the lists hold (§1.7: "Diese wird dann bei jedem Ladevorgang vom Backend
    /// autorisiert"); offline the lists and the offline rules decide, as for a card. It never stops a session.
    public mutating func plugAndCharge(connector: Int, _ connectors: [Connector], online: Bool, now: Date) -> [Action] {
        let s = engine.settings
        guard s.dummyEnabled, !s.freeCharging, connectors.indices.contains(connector - 1), connectors[connector - 1].available,
              !connectors[connector - 1].sessionActive, !pending.contains(where: { $0.connector == connector }) else { return [] }
        let p = PresentedIdentifier(idTag: s.dummyIdTag, kind: .rfid, secure: true)
        let request = Request(presented: p, connector: connector, method: .plugIn, since: now)
        return decided(online ? .askBackend : engine.decide(p, connector: connector, online: false, now: now), request)
    }

    /// The backend answered an Authorize request (or confirmed a provisional session). Accepted answers are cached when
    /// the authorization cache is on; a provisional session of a rejected identifier is stopped (seeds/004 §5.1 "If in
    /// doubt allow charging: … kan het oplaadproces vervolgens worden afgebroken").
    public mutating func backendAnswered(idTag: String, status: IdentifierStatus, parentIdTag: String?, expiry: Date?,
                                         _ connectors: [Connector], now: Date) -> [Action] {
        var out: [Action] = []
        if engine.settings.cacheEnabled {
            let entry = ListedIdentifier(idTag: idTag, status: status, expiry: expiry, parentIdTag: parentIdTag, updatedAt: now)
            engine.lists.remember(entry, capacity: cacheCapacity)
            out.append(.cache(entry))
        }
        var stopped: Set<Int> = []
        for (i, c) in connectors.enumerated() where status != .accepted {
            guard let s = c.session, s.provisional, sameIdentifier(s.idTag, idTag) else { continue }
            out.append(.deauthorize(connector: i + 1, idTag: idTag, status))
            stopped.insert(i)
        }
        guard let index = pending.firstIndex(where: { sameIdentifier($0.presented.idTag, idTag) }) else { return out }
        let request = pending.remove(at: index)
        // A card of the same group as a running session stops it (OCPP 1.6 §3.10, OCTT TC_069).
        if let parentIdTag, engine.settings.stopMode.cardStops, !engine.settings.freeCharging, request.method != .plugIn,
           let i = connectors.indices.first(where: { i in
               !stopped.contains(i) && connectors[i].session.map { $0.parentIdTag.map { sameIdentifier($0, parentIdTag) } ?? false } ?? false
           }) {
            return out + [.stop(connector: i + 1, idTag: idTag)]
        }
        if status == .accepted {
            return out + [.grant(connector: request.connector, AuthorizationGrant(idTag: idTag, presented: idTag, parentIdTag: parentIdTag,
                                                                                  source: .backend), request.method)]
        }
        return out + [.reject(connector: request.connector, "The backend rejected \(idTag) (\(status.rawValue))", idTag: idTag)]
    }

    /// A control step: Authorize requests unanswered for `backendTimeout` fall back to the offline rules; learning mode
    /// ends at its time.
    public mutating func step(now: Date, backendTimeout: Duration) -> [Action] {
        if let until = learningUntil, now >= until { setLearning(false, now: now) }
        let expired = pending.filter { now.timeIntervalSince($0.since) >= backendTimeout.seconds }
        guard !expired.isEmpty else { return [] }
        pending.removeAll { now.timeIntervalSince($0.since) >= backendTimeout.seconds }
        return expired.flatMap { decided(engine.offlineFallback(idTag: $0.presented.idTag), $0) }
    }

    /// The connection to the backend is lost: the waiting Authorize requests fall back to the offline rules.
    public mutating func backendUnavailable() -> [Action] {
        let waiting = pending
        pending.removeAll()
        return waiting.flatMap { decided(engine.offlineFallback(idTag: $0.presented.idTag), $0) }
    }

    /// Switches learning mode on (for `duration`) or off. While on, every card read and every vehicle MAC is added to
    /// the local whitelist instead of authorizing (seeds/004 §5.5 "Add entry").
    public mutating func setLearning(_ on: Bool, now: Date, duration: Duration = .seconds(300)) {
        learningUntil = on ? now.addingTimeInterval(duration.seconds) : nil
        if on { learned = [] }
    }

    /// Whether learning mode is on at `now`.
    public func learning(now: Date) -> Bool { learningUntil.map { now < $0 } ?? false }

    /// An identifier was added to the local whitelist in learning mode.
    public mutating func didLearn(_ id: String) { learned.append(id) }

    /// The wall clock was stepped: the backend timeout and learning mode keep their remaining durations.
    public mutating func shiftTimers(by seconds: Double) {
        learningUntil = learningUntil?.addingTimeInterval(seconds)
        for i in pending.indices { pending[i].since.addTimeInterval(seconds) }
    }

    private mutating func decided(_ outcome: AuthorizationOutcome, _ request: Request) -> [Action] {
        switch outcome {
        case .accept(let g):
            return [.grant(connector: request.connector, g, request.method)]
        case .reject(let reason):
            return [.reject(connector: request.connector, reason, idTag: request.presented.idTag)]
        case .askBackend:
            pending.append(request)
            return [.askBackend(idTag: request.presented.idTag, connector: request.connector)]
        }
    }
}
