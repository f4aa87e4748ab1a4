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
            cardReadAt = now
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

    /// An identifier was presented at the station (card, digital input, vehicle MAC, Modbus, RemoteStart): the
    /// ``AuthorizationFlow`` decides what it is for.
    public mutating func present(_ p: PresentedIdentifier, method: AuthorizationMethod, now: Date, connector: Int? = nil) {
        let views = authorizationViews(presented: p.idTag)
        carryOut(authorizationFlow.present(p, method: method, connector: connector, views, online: online, now: now), now: now)
    }

    /// Presents `idTag` at connector `n` for a start or a stop command of a local client (MQTT): the card rules
    /// decide, but only the intended effect may happen — a start never stops another session, a stop never starts
    /// one. Returns what happens next, or why nothing happens (a message naming the connector and the reason).
    public mutating func presentCommand(_ idTag: String, connector n: Int, start: Bool, method: AuthorizationMethod,
                                        now: Date) -> Result<CommandProgress, StationCommandError> {
        guard connectors.indices.contains(n - 1) else {
            return .failure(StationCommandError("connector: '\(n)' is not allowed; allowed is 1–\(connectors.count)"))
        }
        let running = connectors[n - 1].session.activeSession != nil
        if start && running { return .failure(StationCommandError("connector \(n) already has a session; stop it first")) }
        if !start && !running { return .failure(StationCommandError("connector \(n) has no session to stop")) }
        let p = PresentedIdentifier(idTag: idTag, kind: .rfid, secure: true)
        // `present` records a pending request only when it goes on to decide a start; the stop and identify answers,
        // checked here first, leave the flow untouched, so refusing them changes nothing.
        let actions = authorizationFlow.present(p, method: method, connector: n, authorizationViews(presented: idTag), online: online, now: now)
        for action in actions {
            switch action {
            case .stop(let c, _) where start || c != n:
                return .failure(StationCommandError("\(idTag) has the session on connector \(c); send stop there"))
            case .identify(let c, _) where c != n:
                return .failure(StationCommandError("the session started on plug-in at connector \(c) takes the next identifier first"))
            case .grant, .identify, .askBackend, .reject, .cache, .deauthorize, .stop:
                continue
            }
        }
        let asksBackend = actions.contains { if case .askBackend = $0 { true } else { false } }
        if !start {
            // A stop is only a stop (or the backend asked for the identifier's group, OCPP 1.6 §3.10): anything else
            // would be the flow trying a start, refused here without logging a misleading "no connector is free".
            guard asksBackend || actions.contains(where: { if case .stop = $0 { true } else { false } }) else {
                return .failure(StationCommandError("\(idTag) may not stop the session on connector \(n) (Stop Transaction Mode decides who may)"))
            }
        }
        carryOut(actions, now: now)
        applyLimits(now: now)
        if asksBackend { return .success(.awaitingBackend) }
        if !start { return .success(.stopped) }
        if let message = actions.lazy.compactMap({ if case .reject(_, let m, _) = $0 { m } else { nil } }).first {
            return .failure(StationCommandError(message))
        }
        return connectors[n - 1].session.state != .idle
            ? .success(.authorized) : .failure(StationCommandError("\(idTag) was not authorized on connector \(n); the event log says why"))
    }

    /// The backend answered an Authorize request (or confirmed a provisional session).
    public mutating func backendAuthorization(idTag: String, status: IdentifierStatus, parentIdTag: String?, expiry: Date?, now: Date) {
        let views = authorizationViews(presented: idTag)
        carryOut(authorizationFlow.backendAnswered(idTag: idTag, status: status, parentIdTag: parentIdTag, expiry: expiry, views, now: now),
                 now: now)
    }

    /// The connectors as the authorization flow sees them, for an identifier being presented.
    func authorizationViews(presented idTag: String) -> [AuthorizationFlow.Connector] {
        connectors.indices.map { i in
            let c = connectors[i]
            var active = false
            if case .active = c.session.state { active = true }
            return AuthorizationFlow.Connector(
                session: c.session.activeSession, available: c.machine.isOperative && !errors.stopsCharging(connector: i + 1),
                sessionActive: active, vehicleConnected: c.pilot.vehicleConnected, finishedWhileConnected: c.machine.finishedWhileConnected,
                reserved: c.machine.isReserved,
                reservedForPresented: reservations.reservation(connector: i + 1)?.admits(idTag: idTag, parentIdTag: nil) == true)
        }
    }

    /// Carries out what the authorization flow decided, in order.
    mutating func carryOut(_ actions: [AuthorizationFlow.Action], now: Date) {
        for action in actions {
            switch action {
            case .stop(let n, let idTag):
                stopByIdentifier(n, idTag, now: now)
            case .identify(let n, let idTag):
                guard var s = connectors[n - 1].session.activeSession else { continue }
                s.idTag = idTag
                s.presentedIdTag = idTag
                do { try store.sessionIdentified(s.id, idTag: idTag) } catch {
                    notice(.storeFailed(what: "sessionIdentified", error: "\(error)"))
                }
                connectors[n - 1].session.resume(s)
                log(now, .authorizationAccepted, n, "\(idTag) identifies the session started on plug-in; to be confirmed by the backend")
            case .grant(let n, let g, let method):
                grant(n, g, method: method, now: now)
            case .reject(let n, let message, let idTag):
                log(now, .authorizationRejected, n, message, code: idTag)
                rejectedAt[n] = now
            case .askBackend(let idTag, let n):
                notice(.backendAuthorizationRequested(idTag: idTag, connector: n))
            case .deauthorize(let n, let idTag, let status):
                log(now, .authorizationRejected, n, "The backend rejected \(idTag) (\(status.rawValue)); session stopped", code: idTag)
                perform(n, connectors[n - 1].session.stop(reason: .deAuthorized, now: now, meterWh: connectors[n - 1].reading.meter.energyWh),
                        now: now)
            case .cache(let entry):
                do { try store.saveCacheEntry(entry) } catch { notice(.storeFailed(what: "saveCacheEntry", error: "\(error)")) }
            }
        }
    }

    /// Stops connector `n`'s session because `idTag` was presented (reason Local; StopTransaction names `idTag`).
    mutating func stopByIdentifier(_ n: Int, _ idTag: String, now: Date) {
        guard let s = connectors[n - 1].session.activeSession else { return }
        if !sameIdentifier(s.idTag, idTag) { stopIdentifiers[n] = idTag }
        perform(n, connectors[n - 1].session.stop(reason: .local, now: now, meterWh: connectors[n - 1].reading.meter.energyWh), now: now)
    }

    /// Authorizes connector `n`, unless its reservation rules refuse the identifier.
    mutating func grant(_ n: Int, _ g: AuthorizationGrant, method: AuthorizationMethod, now: Date) {
        let reservationID: Int?
        switch reservationAdmission(connector: n, idTag: g.idTag, parentIdTag: g.parentIdTag) {
        case .allowed(let id): reservationID = id
        case .refused(let reason):
            log(now, .authorizationRejected, n, "\(g.idTag) may not charge: \(reason)", code: g.presented)
            return
        }
        let auth = Authorization(idTag: g.idTag, method: method, authorizedAt: now, presentedIdTag: g.presented,
                                 parentIdTag: g.parentIdTag, source: g.source, provisional: g.provisional, reservationID: reservationID,
                                 backendTransaction: g.backendTransaction)
        perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: connectors[n - 1].pilot.vehicleConnected,
                                                       meterWh: connectors[n - 1].reading.meter.energyWh, newID: makeID()), now: now)
    }

    // MARK: Lists

    /// Switches learning mode on (for `duration`) or off. While on, every card read and every vehicle MAC
    /// is added to the local whitelist instead of authorizing (seeds/004 §5.5 "Add entry").
    public mutating func setLearning(_ on: Bool, now: Date, duration: Duration = .seconds(300)) {
        authorizationFlow.setLearning(on, now: now, duration: duration)
    }

    mutating func learn(_ p: PresentedIdentifier, now: Date) {
        guard let parsed = try? WhitelistEntry.parseIdentifier(p.idTag) else { return }
        let entry = WhitelistEntry(id: parsed.id, kind: parsed.kind)
        do {
            try changeWhitelist(now: now, "\(entry.id) learned") { try $0.add(entry) }
            authorizationFlow.didLearn(entry.id)
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

    // MARK: The local whitelist, as the API and the web interface change it

    public mutating func whitelistAdd(_ input: WhitelistEntryInput, now: Date) throws -> WhitelistEntryView {
        let entry = try input.entry()
        try changeWhitelist(now: now, "\(entry.displayID) added to the local whitelist") { try $0.add(entry) }
        return WhitelistEntryView(entry)
    }

    public mutating func whitelistUpdate(_ input: WhitelistEntryInput, now: Date) throws -> WhitelistEntryView {
        let entry = try input.entry()
        try changeWhitelist(now: now, "\(entry.displayID) changed in the local whitelist") { try $0.update(entry) }
        return WhitelistEntryView(entry)
    }

    public mutating func whitelistRemove(_ id: String, now: Date) throws -> WhitelistEntryView {
        WhitelistEntryView(try changeWhitelist(now: now, "\(id) deleted from the local whitelist") { try $0.remove(id) })
    }

    /// Empties the local whitelist; returns how many entries it had.
    public mutating func whitelistRemoveAll(now: Date) throws -> Int {
        try changeWhitelist(now: now, "local whitelist deleted") { list in
            defer { list.removeAll() }
            return list.entries.count
        }
    }

    /// Restores an entry deleted since the last restart.
    public mutating func whitelistRestore(_ id: String, now: Date) throws -> WhitelistEntryView {
        try changeWhitelist(now: now, "\(id) restored in the local whitelist") { list in
            try list.restore(id)
            guard let e = list.entries.last else { throw WhitelistError.notFound(id) }
            return WhitelistEntryView(e)
        }
    }

    public mutating func whitelistImport(_ csv: String, mode: WhitelistImportMode, now: Date) throws -> WhitelistImportReport {
        try changeWhitelist(now: now, "local whitelist imported (\(mode.rawValue))") { try WhitelistCSV.importCSV(csv, into: &$0, mode: mode) }
    }
}

/// What follows a start or stop command that was taken.
public enum CommandProgress: String, Sendable, Equatable {
    /// The identifier is authorized: the session starts (or runs when the vehicle is plugged in).
    case authorized
    /// The backend is asked (Authorize.req); the status topic shows its answer.
    case awaitingBackend = "awaiting backend"
    /// The session stops.
    case stopped
}

/// A command that was not carried out, with the reason.
public struct StationCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
