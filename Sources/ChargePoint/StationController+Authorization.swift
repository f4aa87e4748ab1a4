#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import OCPP16

/// The authorization flow: cards read, identifiers presented locally or remotely, the backend's answers, learning
/// mode and the lists (seeds/004 §5, OCPP 1.6 §3.5).
extension StationController {
    // MARK: Authorization

    mutating func handleRFID(now: Date) {
        let reads = board.rfidReads
        board.rfidReads = []  // each card once, even if the controller is polled again with the same inputs
        for read in reads {
            // A reader delivering garbage is logged and ignored (ISO 14443 UIDs have 4, 7 or 10 bytes).
            guard [4, 7, 10].contains(read.uid.count) else {
                log(now, .authorizationRejected, 0, "RFID reader delivered \(read.uid.count) bytes; ignored (a UID has 4, 7 or 10 bytes)")
                continue
            }
            let idTag = authorization.settings.letterCase.format(read.uid)
            let p = PresentedIdentifier(idTag: idTag, kind: .rfid, secure: read.secure)
            if learningUntil != nil {
                learn(p, now: now)
            } else {
                present(p, method: .rfid, now: now)
            }
        }
    }

    /// An identifier was presented at the station (card, digital input, vehicle MAC, or via the API).
    ///
    /// Order: a card that may stop a running session stops it (Stop Transaction Mode, group, master card);
    /// a session started on plug-in without identification takes the card; otherwise the engine decides for
    /// the connector where a vehicle waits, else the first free connector (the authorization follows the
    /// vehicle if it is plugged in elsewhere).
    public mutating func present(_ p: PresentedIdentifier, method: AuthorizationMethod, now: Date, connector: Int? = nil) {
        for i in connectors.indices {
            guard let s = connectors[i].session.activeSession, !s.idTag.isEmpty else { continue }
            let started = AuthorizationGrant(idTag: s.idTag, presented: s.presentedIdTag, parentIdTag: s.parentIdTag,
                                             source: s.source ?? .localWhitelist)
            if authorization.mayStop(started: started, presented: p.idTag, connector: i + 1, now: now) != nil {
                stopByIdentifier(i + 1, p.idTag, now: now)
                return
            }
        }
        if p.kind == .rfid, let i = connectors.indices.first(where: { connectors[$0].session.activeSession?.idTag.isEmpty == true }),
           var s = connectors[i].session.activeSession {
            s.idTag = p.idTag
            s.presentedIdTag = p.idTag
            do { try store.sessionIdentified(s.id, idTag: p.idTag) } catch {
                notice(.storeFailed(what: "sessionIdentified", error: "\(error)"))
            }
            connectors[i].session.resume(s)
            log(now, .authorizationAccepted, i + 1, "\(p.idTag) identifies the session started on plug-in; to be confirmed by the backend")
            return
        }
        func usable(_ i: Int) -> Bool {
            guard connectors[i].machine.isOperative, !errors.stopsCharging(connector: i + 1) else { return false }
            if case .active = connectors[i].session.state { return false }
            return !pendingBackend.contains { $0.connector == i + 1 }
        }
        let target: Int?
        if let connector {
            target = connectors.indices.contains(connector - 1) && usable(connector - 1) ? connector - 1 : nil
        } else {
            // A vehicle waiting, else the connector reserved for this identifier, else a free one that is not reserved.
            let waiting = connectors.indices.first { usable($0) && connectors[$0].pilot.vehicleConnected && !connectors[$0].machine.finishedWhileConnected }
            let free = connectors.indices.filter { usable($0) && !connectors[$0].pilot.vehicleConnected }
            let reservedForTag = free.first { reservations.reservation(connector: $0 + 1)?.admits(idTag: p.idTag, parentIdTag: nil) == true }
            target = waiting ?? reservedForTag ?? free.first { !connectors[$0].machine.isReserved } ?? free.first
        }
        guard let i = target else {
            // No free connector: a card of a running session's group may still stop it once the backend names its
            // group (OCPP 1.6 §3.10 / OCTT TC_069).
            if online, authorization.settings.stopMode.cardStops,
               let g = connectors.indices.first(where: { connectors[$0].session.activeSession?.parentIdTag != nil }) {
                decided(.askBackend, PendingAuthorization(presented: p, connector: g + 1, method: method, since: now), now: now)
                return
            }
            log(now, .authorizationRejected, 0, "\(p.idTag) presented but no connector is free")
            return
        }
        decided(authorization.decide(p, connector: i + 1, online: online, now: now),
                PendingAuthorization(presented: p, connector: i + 1, method: method, since: now), now: now)
    }

    /// Stops connector `n`'s session because `idTag` was presented (reason Local; StopTransaction names `idTag`).
    mutating func stopByIdentifier(_ n: Int, _ idTag: String, now: Date) {
        guard let s = connectors[n - 1].session.activeSession else { return }
        if !sameIdentifier(s.idTag, idTag) { stopIdentifiers[n] = idTag }
        perform(n, connectors[n - 1].session.stop(reason: .local, now: now, meterWh: connectors[n - 1].reading.meter.energyWh), now: now)
    }

    mutating func decided(_ outcome: AuthorizationOutcome, _ request: PendingAuthorization, now: Date) {
        switch outcome {
        case .accept(let g):
            grant(request.connector, g, method: request.method, now: now)
        case .reject(let reason):
            log(now, .authorizationRejected, request.connector, reason, code: request.presented.idTag)
        case .askBackend:
            pendingBackend.append(request)
            notice(.backendAuthorizationRequested(idTag: request.presented.idTag, connector: request.connector))
        }
    }

    mutating func grant(_ n: Int, _ g: AuthorizationGrant, method: AuthorizationMethod, now: Date) {
        let reservationID: Int?
        switch reservationAdmission(connector: n, idTag: g.idTag, parentIdTag: g.parentIdTag) {
        case .allowed(let id): reservationID = id
        case .refused(let reason):
            log(now, .authorizationRejected, n, "\(g.idTag) may not charge: \(reason)", code: g.presented)
            return
        }
        let auth = Authorization(idTag: g.idTag, method: method, authorizedAt: now, presentedIdTag: g.presented,
                                 parentIdTag: g.parentIdTag, source: g.source, provisional: g.provisional, reservationID: reservationID)
        perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: connectors[n - 1].pilot.vehicleConnected,
                                                       meterWh: connectors[n - 1].reading.meter.energyWh, newID: makeID()), now: now)
    }

    /// The backend answered an Authorize request (or confirmed a provisional session). Accepted answers are
    /// cached when the OCPP whitelist is enabled; a provisional session of a rejected identifier is stopped
    /// (seeds/004 §5.1 "If in doubt allow charging: … kan het oplaadproces vervolgens worden afgebroken").
    public mutating func backendAuthorization(idTag: String, status: IdentifierStatus, parentIdTag: String?, expiry: Date?, now: Date) {
        if authorization.settings.cacheEnabled {
            let entry = ListedIdentifier(idTag: idTag, status: status, expiry: expiry, parentIdTag: parentIdTag, updatedAt: now)
            authorization.lists.remember(entry)
            do { try store.saveCacheEntry(entry) } catch { notice(.storeFailed(what: "saveCacheEntry", error: "\(error)")) }
        }
        for i in connectors.indices {
            guard let s = connectors[i].session.activeSession, s.provisional, sameIdentifier(s.idTag, idTag) else { continue }
            if status != .accepted {
                log(now, .authorizationRejected, i + 1, "The backend rejected \(idTag) (\(status.rawValue)); session stopped", code: idTag)
                perform(i + 1, connectors[i].session.stop(reason: .deAuthorized, now: now, meterWh: connectors[i].reading.meter.energyWh), now: now)
            }
        }
        guard let index = pendingBackend.firstIndex(where: { sameIdentifier($0.presented.idTag, idTag) }) else { return }
        let request = pendingBackend.remove(at: index)
        // A card of the same group as a running session stops it (OCPP 1.6 §3.10, OCTT TC_069).
        if let parentIdTag, authorization.settings.stopMode.cardStops, !authorization.settings.freeCharging,
           let i = connectors.indices.first(where: { i in
               connectors[i].session.activeSession.map { $0.parentIdTag.map { sameIdentifier($0, parentIdTag) } ?? false } ?? false
           }) {
            stopByIdentifier(i + 1, idTag, now: now)
            return
        }
        if status == .accepted {
            grant(request.connector, AuthorizationGrant(idTag: idTag, presented: idTag, parentIdTag: parentIdTag, source: .backend),
                  method: request.method, now: now)
        } else {
            log(now, .authorizationRejected, request.connector, "The backend rejected \(idTag) (\(status.rawValue))", code: idTag)
        }
    }

    // MARK: Lists

    /// Switches learning mode on (for `duration`) or off. While on, every card read and every vehicle MAC
    /// is added to the local whitelist instead of authorizing (seeds/004 §5.5 "Add entry").
    public mutating func setLearning(_ on: Bool, now: Date, duration: Duration = .seconds(300)) {
        learningUntil = on ? now.addingTimeInterval(duration.seconds) : nil
        if on { learned = [] }
    }

    mutating func learn(_ p: PresentedIdentifier, now: Date) {
        guard let parsed = try? WhitelistEntry.parseIdentifier(p.idTag) else { return }
        let entry = WhitelistEntry(id: parsed.id, kind: parsed.kind)
        do {
            try changeWhitelist(now: now, "\(entry.id) learned") { try $0.add(entry) }
            learned.append(entry.id)
            log(now, .identifierLearned, 0, "\(entry.id) added to the local whitelist in learning mode", code: entry.id)
        } catch {
            log(now, .identifierLearned, 0, "\(entry.id) read in learning mode: \(error)", code: entry.id)
        }
    }

    /// Changes the local whitelist and persists it; nothing changes if the change or the write fails.
    public mutating func changeWhitelist<T>(now: Date, _ what: String, _ change: (inout LocalWhitelist) throws -> T) throws -> T {
        var list = authorization.lists.whitelist
        let result = try change(&list)
        try store.saveWhitelist(list.entries)
        authorization.lists.whitelist = list
        log(now, .whitelistChanged, 0, what)
        return result
    }

    /// Empties the authorization cache ("OCPP whitelist", ClearCache).
    public mutating func clearAuthorizationCache(now: Date) throws {
        try store.clearCache()
        authorization.lists.cache = []
        log(now, .whitelistChanged, 0, "Authorization cache cleared")
    }

    /// Replaces the OCPP local authorization list (SendLocalList Full).
    public mutating func replaceLocalList(version: Int, entries: [ListedIdentifier], now: Date) throws {
        try store.saveLocalList(version: version, entries: entries)
        authorization.lists.localList = entries
        authorization.lists.localListVersion = version
        log(now, .whitelistChanged, 0, "Local authorization list version \(version) with \(entries.count) entries")
    }
}
