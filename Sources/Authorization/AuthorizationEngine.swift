#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// The six free charging modes of the Bender CC613 (seeds/004 §5.2: "De CC613-controller biedt hiervoor 6
/// verschillende varianten"; names as in the controller's configuration interface).
///
/// | # | mode | RFID needed | OCPP messages | transaction idTag | who may stop |
/// |---|------|-------------|---------------|-------------------|--------------|
/// | 1 | No OCPP | no, starts on plug-in | none | — (local history only) | unplugging |
/// | 2 | With OCPP status notif without auth | no, starts on plug-in | StatusNotification only | — | unplugging |
/// | 3 | With OCPP status notif with auth | any card | StatusNotification only | — | the same card, unplugging |
/// | 4 | With OCPP Full fixed RFID with auth | any card | full, Start/StopTransaction | "Rfid Tag for Free Charging …" (`freecharging`) | the same card, remote stop, unplugging |
/// | 5 | With OCPP Full fixed RFID without auth | no, starts on plug-in | full | "Rfid Tag for Free Charging …" | remote stop, unplugging |
/// | 6 | With OCPP Full any RFID | any card | full | the card's UID | the same card, remote stop, unplugging |
///
/// In modes 1–3 there is no transaction id, so a backend cannot stop the session remotely.
public enum FreeChargingMode: String, Sendable, Codable, CaseIterable {
    case noOCPP
    case statusWithoutAuth
    case statusWithAuth
    case fullFixedRFIDWithAuth
    case fullFixedRFIDWithoutAuth
    case fullAnyRFID

    public var label: String {
        switch self {
        case .noOCPP: "No OCPP"
        case .statusWithoutAuth: "With OCPP status notif without auth"
        case .statusWithAuth: "With OCPP status notif with auth"
        case .fullFixedRFIDWithAuth: "With OCPP Full fixed RFID with auth"
        case .fullFixedRFIDWithoutAuth: "With OCPP Full fixed RFID without auth"
        case .fullAnyRFID: "With OCPP Full any RFID"
        }
    }

    /// Charging starts as soon as a vehicle is connected, without a card.
    public var startsOnPlugIn: Bool { self == .noOCPP || self == .statusWithoutAuth || self == .fullFixedRFIDWithoutAuth }
    /// The backend receives Start/StopTransaction (and may stop remotely).
    public var sendsTransactions: Bool { self == .fullFixedRFIDWithAuth || self == .fullFixedRFIDWithoutAuth || self == .fullAnyRFID }
    /// The backend receives StatusNotifications.
    public var sendsStatusNotifications: Bool { self != .noOCPP }
    /// The transaction uses the fixed "Rfid Tag for Free Charging" rather than the card's UID.
    public var usesFixedIdTag: Bool { self == .fullFixedRFIDWithAuth || self == .fullFixedRFIDWithoutAuth }
}

/// seeds/004 §5.1 "If in doubt allow charging".
public enum IfInDoubtAllowCharging: String, Sendable, Codable, CaseIterable {
    /// Charge only when the backend (or a local list) authorizes.
    case off
    /// Authorize when the backend cannot be asked; the backend checks later and may stop the session.
    case on
    /// Start on plug-in without any card; the card is checked once the backend is reachable again.
    case immediatelyOnPlugIn

    public var label: String {
        switch self {
        case .off: "Off"
        case .on: "On"
        case .immediatelyOnPlugIn: "ImmediatelyOnPlugIn"
        }
    }
}

/// seeds/004 §5.1 "Stop Transaction Mode".
public enum StopTransactionMode: String, Sendable, Codable, CaseIterable {
    /// Unplugging, or the authorizing card (or one of its group) again, ends the transaction.
    case normal
    /// Only removing the cable ends the transaction.
    case unplugOnly
    /// Only the authorizing card or a remote stop ends it; unplugging does not.
    case rfidOrRemoteOnly
    /// Normal, plus vehicle state D and a detected residual current end it.
    case normalModeDRCD

    public var label: String {
        switch self {
        case .normal: "Normal"
        case .unplugOnly: "Stop only by unplugging"
        case .rfidOrRemoteOnly: "Only by RFID/RemoteStop"
        case .normalModeDRCD: "Normal + Mode D + RCD detected"
        }
    }
    /// Unplugging ends the transaction.
    public var unplugStops: Bool { self != .rfidOrRemoteOnly }
    /// Presenting the card again ends the transaction.
    public var cardStops: Bool { self != .unplugOnly }
}

/// When the local whitelist is consulted.
///
/// - SeeAlso: seeds/004 §5.5 (fixed local list: always authorized, no backend request); seeds/002 §1.7
///   whitelist location "Local whitelist (offline only)".
public enum LocalWhitelistMode: String, Sendable, Codable, CaseIterable {
    case always
    case offlineOnly

    public var label: String { self == .always ? "Always (fixed local list)" : "Offline only" }
}

/// seeds/004 §5.4 "OCPP whitelist expiry mode".
public enum CacheExpiryMode: String, Sendable, Codable, CaseIterable {
    /// Entries expire on 31 December 2038 unless the backend says otherwise.
    case endOfEpoch2038
    /// Entries expire one year after their last change.
    case oneYearFromNow

    public var label: String { self == .endOfEpoch2038 ? "End of epoch 2038 (default)" : "One year from now" }

    /// 2038-12-31T23:59:59Z.
    public static let endOfEpoch = Date(timeIntervalSince1970: 2_177_452_799)
}

/// The status of an identifier as a list, cache or backend reports it (the values of OCPP 1.6 §7.2
/// AuthorizationStatus).
public enum IdentifierStatus: String, Sendable, Codable, CaseIterable {
    case accepted = "Accepted"
    case blocked = "Blocked"
    case expired = "Expired"
    case invalid = "Invalid"
    case concurrentTx = "ConcurrentTx"
}

/// An identifier with its status, as the OCPP local authorization list or the cache holds it.
public struct ListedIdentifier: Sendable, Codable, Equatable {
    public var idTag: String
    public var status: IdentifierStatus
    public var expiry: Date?
    public var parentIdTag: String?
    /// When the entry was last changed (for the cache's expiry mode).
    public var updatedAt: Date

    public init(idTag: String, status: IdentifierStatus, expiry: Date? = nil, parentIdTag: String? = nil, updatedAt: Date) {
        self.idTag = idTag; self.status = status; self.expiry = expiry; self.parentIdTag = parentIdTag; self.updatedAt = updatedAt
    }
}

/// Everything the engine consults.
public struct AuthorizationLists: Sendable, Equatable {
    public var whitelist: LocalWhitelist
    /// OCPP local authorization list (SendLocalList), with its version.
    public var localList: [ListedIdentifier]
    public var localListVersion: Int
    /// OCPP authorization cache ("OCPP whitelist").
    public var cache: [ListedIdentifier]

    public init(whitelist: LocalWhitelist = LocalWhitelist(), localList: [ListedIdentifier] = [], localListVersion: Int = 0,
                cache: [ListedIdentifier] = []) {
        self.whitelist = whitelist; self.localList = localList; self.localListVersion = localListVersion; self.cache = cache
    }
}

extension AuthorizationLists {
    /// Puts a backend's answer into the authorization cache, replacing the identifier's earlier entry. The cache is in
    /// update order, so beyond `capacity` the least recently updated entries go (the database drops the same ones).
    public mutating func remember(_ entry: ListedIdentifier, capacity: Int) {
        cache.removeAll { sameIdentifier($0.idTag, entry.idTag) }
        cache.append(entry)
        cache.removeFirst(max(0, cache.count - capacity))
    }
}

/// An accepted authorization.
public struct AuthorizationGrant: Sendable, Codable, Equatable {
    /// The identifier the transaction carries (may be the fixed free charging tag).
    public var idTag: String
    /// The identifier that was presented, if any.
    public var presented: String?
    public var parentIdTag: String?
    public var source: AuthorizationSource
    /// The backend must still confirm the identifier (If in doubt allow charging).
    public var provisional: Bool
    /// The session becomes a backend transaction; false for the free charging modes that send only status
    /// notifications (``FreeChargingMode/sendsTransactions``).
    public var backendTransaction: Bool

    public init(idTag: String, presented: String?, parentIdTag: String? = nil, source: AuthorizationSource, provisional: Bool = false,
                backendTransaction: Bool = true) {
        self.idTag = idTag; self.presented = presented; self.parentIdTag = parentIdTag; self.source = source; self.provisional = provisional
        self.backendTransaction = backendTransaction
    }
}

/// The engine's answer for a presented identifier.
public enum AuthorizationOutcome: Sendable, Equatable {
    case accept(AuthorizationGrant)
    case reject(reason: String)
    /// Ask the backend (Authorize.req); if it cannot answer, apply ``AuthorizationEngine/offlineFallback(idTag:)``.
    case askBackend
}

/// The authorization settings, read from the parameter registry.
public struct AuthorizationSettings: Sendable, Equatable {
    public var freeCharging = false
    public var freeChargingMode = FreeChargingMode.noOCPP
    public var freeChargingIdTag = "freecharging"
    public var ifInDoubt = IfInDoubtAllowCharging.off
    public var stopMode = StopTransactionMode.normal
    public var letterCase = RFIDLetterCase.lower
    public var enforceMasterRFID = false
    public var masterIdTags: [String] = []
    public var enforceSecureRFID = false
    public var localWhitelistEnabled = true
    public var localWhitelistMode = LocalWhitelistMode.always
    public var localListEnabled = true
    public var cacheEnabled = true
    public var cacheExpiryMode = CacheExpiryMode.endOfEpoch2038
    public var localPreAuthorize = true
    public var localAuthorizeOffline = true
    public var allowOfflineTxForUnknownId = false
    /// Plug&Charge mode with a dummy RFID (seeds/002 §1.7 "no RFID", §2.3 `/hw/auth/device/Dummy/enabled`): a vehicle
    /// plugged in is authorized with ``dummyIdTag``, which the backend authorizes at every charge.
    public var dummyEnabled = false
    public var dummyIdTag = "DUMMY"
    /// `/hw/auth/device/Dummy/allowStop` (seeds/002 §2.3 "End charging by button press in Plug&Charge-Mode"): the
    /// station's button (the authorization input, `INPUT_AUTH`) ends a charge started with the dummy RFID.
    public var dummyAllowStop = false

    public init() {}
}

/// How an identifier was presented.
public struct PresentedIdentifier: Sendable, Equatable {
    /// The identifier as the OCPP lists, the cache and the backend know it.
    public var idTag: String
    public var kind: IdentifierKind
    /// The card is a secure RFID (e.g. DESFire with secure messaging).
    public var secure: Bool
    /// The form the local whitelist holds when it differs from `idTag`: a vehicle's MAC address, whose idTag carries
    /// the Autocharge prefix (``VehicleIdentifier``).
    public var whitelistID: String?

    public init(idTag: String, kind: IdentifierKind = .rfid, secure: Bool = false, whitelistID: String? = nil) {
        self.idTag = idTag; self.kind = kind; self.secure = secure; self.whitelistID = whitelistID
    }
}

/// One authorization engine for every mode the seeds describe. It decides, for a presented identifier on a
/// connector, accept / reject / ask the backend, in the order of the seeds: free charging → local whitelist
/// (fixed local list) → OCPP local authorization list → OCPP authorization cache → backend → offline rules
/// (AllowOfflineTxForUnknownId, If in doubt allow charging). Pure: no I/O, time comes in as `now`.
///
/// The Technagon modes of seeds/002 §1.7 are configurations of this engine (the station's `AuthenticationMode`
/// preset sets them), not separate code paths; their Plug&Charge mode presents the dummy RFID through
/// ``AuthorizationFlow/plugAndCharge(connector:_:online:now:)``.
///
/// - SeeAlso: seeds/004 §5.1–§5.5, seeds/000 "Free Charge", seeds/002 §1.7, OCPP 1.6 §3.5 (local authorization).
public struct AuthorizationEngine: Sendable {
    public var settings: AuthorizationSettings
    public var lists: AuthorizationLists

    public init(settings: AuthorizationSettings, lists: AuthorizationLists) {
        self.settings = settings
        self.lists = lists
    }

    /// Decides about an identifier presented on `connector`.
    public func decide(_ p: PresentedIdentifier, connector: Int, online: Bool, now: Date) -> AuthorizationOutcome {
        let s = settings
        if s.freeCharging {
            let idTag = s.freeChargingMode.usesFixedIdTag ? s.freeChargingIdTag : p.idTag
            return .accept(AuthorizationGrant(idTag: idTag, presented: p.idTag, source: .freeCharging,
                                              backendTransaction: s.freeChargingMode.sendsTransactions))
        }
        if s.enforceSecureRFID && p.kind == .rfid && !p.secure {
            return .reject(reason: "\(p.idTag) is not a secure RFID (Enforce using Secure RFID is On)")
        }
        // Local whitelist (fixed local list).
        if s.localWhitelistEnabled && (s.localWhitelistMode == .always || !online) {
            if let e = lists.whitelist.lookup(p.whitelistID ?? p.idTag, connector: connector) {
                if e.authorization == .blocked { return .reject(reason: "\(p.idTag) is blocked in the local whitelist") }
                if let x = e.expiry, x <= now { return .reject(reason: "\(p.idTag) expired on \(CivilTime.format(x)) (local whitelist)") }
                return .accept(AuthorizationGrant(idTag: p.idTag, presented: p.idTag, parentIdTag: e.groupID, source: .localWhitelist))
            }
            if let other = lists.whitelist.restrictedElsewhere(p.whitelistID ?? p.idTag, connector: connector) {
                return .reject(reason: "\(p.idTag) is only valid on connector \(other) (postfix _\(other))")
            }
        }
        // A vehicle's identifier (Autocharge) goes on to the OCPP lists and the backend like a card (seeds/000 "Prefix
        // für EVCCID oder MAC-Adresse für die OCPP Autorisierung"); INPUT_AUTH is the local whitelist's alone.
        if p.kind == .input {
            return .reject(reason: "\(p.idTag) is not in the local whitelist")
        }
        let localAllowed = online ? s.localPreAuthorize : s.localAuthorizeOffline
        // OCPP local authorization list, then the cache.
        for (enabled, list, source) in [(s.localListEnabled, lists.localList, AuthorizationSource.localList),
                                        (s.cacheEnabled, lists.cache, .cache)] where enabled {
            guard let entry = list.first(where: { sameIdentifier($0.idTag, p.idTag) }) else { continue }
            let status = effectiveStatus(entry, cache: source == .cache, now: now)
            if status == .accepted && localAllowed {
                return .accept(AuthorizationGrant(idTag: p.idTag, presented: p.idTag, parentIdTag: entry.parentIdTag, source: source))
            }
            if !online && (status != .accepted || localAllowed) {
                return .reject(reason: "\(p.idTag) is \(status.rawValue) in the \(source == .cache ? "authorization cache" : "local authorization list")")
            }
        }
        if online { return .askBackend }
        return offlineFallback(idTag: p.idTag)
    }

    /// What happens to an identifier that no list knows when the backend cannot be asked.
    public func offlineFallback(idTag: String) -> AuthorizationOutcome {
        if settings.allowOfflineTxForUnknownId {
            return .accept(AuthorizationGrant(idTag: idTag, presented: idTag, source: .offlineUnknown))
        }
        if settings.ifInDoubt != .off {
            return .accept(AuthorizationGrant(idTag: idTag, presented: idTag, source: .ifInDoubt, provisional: true))
        }
        return .reject(reason: "\(idTag) is unknown and the backend cannot be asked")
    }

    /// The status of a list or cache entry at `now`, with the cache's expiry mode applied.
    public func effectiveStatus(_ e: ListedIdentifier, cache: Bool, now: Date) -> IdentifierStatus {
        guard e.status == .accepted else { return e.status }
        var expiry = e.expiry
        if cache {
            let modeExpiry = settings.cacheExpiryMode == .oneYearFromNow
                ? e.updatedAt.addingTimeInterval(365 * 86_400) : CacheExpiryMode.endOfEpoch
            expiry = min(expiry ?? modeExpiry, modeExpiry)
        }
        if let expiry, expiry <= now { return .expired }
        return .accepted
    }

    /// Whether presenting `presented` may stop a session that `grant` started: the same identifier, an
    /// identifier of the same group (parentIdTag), or a master card when "Enforce Master RFID" is On.
    ///
    /// - SeeAlso: seeds/004 §5.1 "Stop Transaction Mode", §5.3 "Enforce Master RFID".
    public func mayStop(started grant: AuthorizationGrant, presented: String, connector: Int, now: Date) -> AuthorizationSource? {
        guard settings.stopMode.cardStops else { return nil }
        if startedWithDummy(grant) {
            return settings.dummyAllowStop && sameIdentifier(presented, inputAuthIdentifier) ? grant.source : nil
        }
        if sameIdentifier(grant.presented ?? grant.idTag, presented) { return grant.source }
        if settings.enforceMasterRFID && settings.masterIdTags.contains(where: { sameIdentifier($0, presented) }) { return .masterRFID }
        if settings.freeCharging { return nil }
        if let group = grant.parentIdTag, let other = parentIdTag(of: presented, connector: connector, now: now),
           sameIdentifier(group, other) {
            return .localWhitelist
        }
        return nil
    }

    /// Whether a session was started in Plug&Charge mode with the dummy RFID: no card ends it at the station, and the
    /// button (`INPUT_AUTH`) only with `Dummy/allowStop` (seeds/002 §2.3: then "everyone could unplug the cable").
    public func startedWithDummy(_ grant: AuthorizationGrant) -> Bool {
        settings.dummyEnabled && sameIdentifier(grant.idTag, settings.dummyIdTag)
    }

    /// The group of an identifier as the lists know it.
    public func parentIdTag(of idTag: String, connector: Int, now: Date) -> String? {
        if let e = lists.whitelist.lookup(idTag, connector: connector), e.authorization == .accepted { return e.groupID }
        for entry in lists.localList + lists.cache where sameIdentifier(entry.idTag, idTag) { return entry.parentIdTag }
        return nil
    }
}
