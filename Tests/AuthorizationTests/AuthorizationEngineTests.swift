import Foundation
import Testing
@testable import Authorization
import EVSECore

@Suite("Authorization engine")
struct AuthorizationEngineTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let past = now.addingTimeInterval(-3600)
    static let future = now.addingTimeInterval(3600)

    static let lists: AuthorizationLists = {
        let w = LocalWhitelist(entries: [
            WhitelistEntry(id: "AAAAAAAA", kind: .rfid, groupID: "FLEET"),
            WhitelistEntry(id: "BBBBBBBB", kind: .rfid, authorization: .blocked),
            WhitelistEntry(id: "CCCCCCCC", kind: .rfid, expiry: past),
            WhitelistEntry(id: "DDDDDDDD", kind: .rfid, connector: 1),
            WhitelistEntry(id: inputAuthIdentifier, kind: .input),
            WhitelistEntry(id: "00:1A:2B:3C:4D:5E", kind: .mac),
        ])
        return AuthorizationLists(
            whitelist: w,
            localList: [
                ListedIdentifier(idTag: "L0CA1000", status: .accepted, parentIdTag: "FLEET", updatedAt: past),
                ListedIdentifier(idTag: "L0CB1000", status: .blocked, updatedAt: past),
            ],
            localListVersion: 3,
            cache: [
                ListedIdentifier(idTag: "CAC00000", status: .accepted, updatedAt: past),
                ListedIdentifier(idTag: "CAC0EXP0", status: .accepted, expiry: past, updatedAt: past),
                ListedIdentifier(idTag: "CAC0OLD0", status: .accepted, updatedAt: now.addingTimeInterval(-400 * 86_400)),
            ])
    }()

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var idTag: String
        var kind: IdentifierKind = .rfid
        var secure = false
        var whitelistID: String? = nil
        var connector = 1
        var online: Bool
        var configure: @Sendable (inout AuthorizationSettings) -> Void = { _ in }
        /// "accept:<source>[:<idTag>]", "reject", "backend"
        var expected: String
        var testDescription: String { "\(name) (\(online ? "online" : "offline"))" }
    }

    static let rows: [Row] = [
        // Local whitelist (fixed local list)
        Row(name: "whitelisted card", idTag: "aaaaaaaa", online: false, expected: "accept:localWhitelist"),
        Row(name: "whitelisted card, no backend request when online", idTag: "AAAAAAAA", online: true, expected: "accept:localWhitelist"),
        Row(name: "blocked entry", idTag: "BBBBBBBB", online: false, expected: "reject"),
        Row(name: "expired entry", idTag: "CCCCCCCC", online: false, expected: "reject"),
        Row(name: "postfix _1 on connector 1", idTag: "DDDDDDDD", connector: 1, online: false, expected: "accept:localWhitelist"),
        Row(name: "postfix _1 on connector 2", idTag: "DDDDDDDD", connector: 2, online: true, expected: "reject"),
        Row(name: "whitelist disabled", idTag: "AAAAAAAA", online: false, configure: { $0.localWhitelistEnabled = false }, expected: "reject"),
        Row(name: "whitelist offline-only, online → backend", idTag: "AAAAAAAA", online: true,
            configure: { $0.localWhitelistMode = .offlineOnly }, expected: "backend"),
        Row(name: "whitelist offline-only, offline", idTag: "AAAAAAAA", online: false,
            configure: { $0.localWhitelistMode = .offlineOnly }, expected: "accept:localWhitelist"),
        Row(name: "INPUT_AUTH by the digital input", idTag: inputAuthIdentifier, kind: .input, online: false, expected: "accept:localWhitelist"),
        Row(name: "vehicle MAC (Autocharge)", idTag: "00:1a:2b:3c:4d:5e", kind: .mac, online: true, expected: "accept:localWhitelist"),
        Row(name: "vehicle with the Autocharge prefix: the whitelist matches its MAC, the grant carries the prefixed idTag", idTag: "VID-001A2B3C4D5E",
            kind: .mac, whitelistID: "00:1A:2B:3C:4D:5E", online: true, expected: "accept:localWhitelist:VID-001A2B3C4D5E"),
        Row(name: "unknown vehicle goes to the backend like a card (Autocharge, seeds/000)", idTag: "000000000001", kind: .mac, online: true, expected: "backend"),
        Row(name: "unknown vehicle offline: the offline rules decide", idTag: "000000000001", kind: .mac, online: false, expected: "reject"),
        Row(name: "INPUT_AUTH not in the whitelist is never sent to a backend", idTag: inputAuthIdentifier, kind: .input, online: true,
            configure: { $0.localWhitelistEnabled = false }, expected: "reject"),
        // OCPP local list
        Row(name: "local list, LocalPreAuthorize On", idTag: "L0CA1000", online: true, expected: "accept:localList"),
        Row(name: "local list, LocalPreAuthorize Off → backend", idTag: "L0CA1000", online: true,
            configure: { $0.localPreAuthorize = false }, expected: "backend"),
        Row(name: "local list offline, LocalAuthorizeOffline On", idTag: "L0CA1000", online: false, expected: "accept:localList"),
        Row(name: "local list offline, LocalAuthorizeOffline Off", idTag: "L0CA1000", online: false,
            configure: { $0.localAuthorizeOffline = false }, expected: "reject"),
        Row(name: "local list blocked, online → backend", idTag: "L0CB1000", online: true, expected: "backend"),
        Row(name: "local list blocked, offline", idTag: "L0CB1000", online: false, expected: "reject"),
        Row(name: "local list disabled", idTag: "L0CA1000", online: true, configure: { $0.localListEnabled = false }, expected: "backend"),
        // Authorization cache ("OCPP whitelist")
        Row(name: "cache hit", idTag: "CAC00000", online: false, expected: "accept:cache"),
        Row(name: "cache hit online", idTag: "CAC00000", online: true, expected: "accept:cache"),
        Row(name: "cache entry expired", idTag: "CAC0EXP0", online: false, expected: "reject"),
        Row(name: "cache, one-year expiry mode, entry older than a year", idTag: "CAC0OLD0", online: false,
            configure: { $0.cacheExpiryMode = .oneYearFromNow }, expected: "reject"),
        Row(name: "cache, end-of-epoch mode keeps old entries", idTag: "CAC0OLD0", online: false, expected: "accept:cache"),
        Row(name: "cache disabled", idTag: "CAC00000", online: false, configure: { $0.cacheEnabled = false }, expected: "reject"),
        // Backend and offline rules
        Row(name: "unknown card online", idTag: "12345678", online: true, expected: "backend"),
        Row(name: "unknown card offline", idTag: "12345678", online: false, expected: "reject"),
        Row(name: "AllowOfflineTxForUnknownId", idTag: "12345678", online: false,
            configure: { $0.allowOfflineTxForUnknownId = true }, expected: "accept:offlineUnknown"),
        Row(name: "AllowOfflineTxForUnknownId does not override a blocked list entry", idTag: "L0CB1000", online: false,
            configure: { $0.allowOfflineTxForUnknownId = true }, expected: "reject"),
        Row(name: "If in doubt allow charging On", idTag: "12345678", online: false,
            configure: { $0.ifInDoubt = .on }, expected: "accept:ifInDoubt"),
        Row(name: "If in doubt … ImmediatelyOnPlugIn", idTag: "12345678", online: false,
            configure: { $0.ifInDoubt = .immediatelyOnPlugIn }, expected: "accept:ifInDoubt"),
        // Secure RFID
        Row(name: "Enforce using Secure RFID refuses a plain card", idTag: "AAAAAAAA", online: false,
            configure: { $0.enforceSecureRFID = true }, expected: "reject"),
        Row(name: "Enforce using Secure RFID accepts a secure card", idTag: "AAAAAAAA", secure: true, online: false,
            configure: { $0.enforceSecureRFID = true }, expected: "accept:localWhitelist"),
    ] + FreeChargingMode.allCases.flatMap { mode in
        [false, true].map { online in
            Row(name: "free charging \(mode.label)", idTag: "BBBBBBBB", online: online,
                configure: { $0.freeCharging = true; $0.freeChargingMode = mode },
                expected: "accept:freeCharging:" + (mode.usesFixedIdTag ? "freecharging" : "BBBBBBBB"))
        }
    }

    @Test("decisions", arguments: rows)
    func decision(row: Row) {
        var settings = AuthorizationSettings()
        row.configure(&settings)
        let engine = AuthorizationEngine(settings: settings, lists: Self.lists)
        let outcome = engine.decide(PresentedIdentifier(idTag: row.idTag, kind: row.kind, secure: row.secure, whitelistID: row.whitelistID), connector: row.connector,
                                    online: row.online, now: Self.now)
        let got: String
        switch outcome {
        case .accept(let g):
            got = "accept:\(g.source.rawValue)" + (row.expected.split(separator: ":").count == 3 ? ":\(g.idTag)" : "")
        case .reject(let reason):
            got = "reject"
            #expect(reason.contains(row.idTag), "the reason names the identifier: \(reason)")
        case .askBackend:
            got = "backend"
        }
        #expect(got == row.expected)
    }

    @Test("If in doubt grants are provisional: the backend checks them later")
    func provisional() {
        var s = AuthorizationSettings()
        s.ifInDoubt = .on
        let engine = AuthorizationEngine(settings: s, lists: AuthorizationLists())
        guard case .accept(let g) = engine.decide(PresentedIdentifier(idTag: "12345678"), connector: 1, online: false, now: Self.now) else {
            Issue.record("not accepted"); return
        }
        #expect(g.provisional)
    }

    @Test("who may stop a session: the same card, its group, a master card; never in 'Stop only by unplugging'")
    func stopping() {
        var s = AuthorizationSettings()
        s.enforceMasterRFID = true
        s.masterIdTags = ["FFFFFFFF"]
        let engine = AuthorizationEngine(settings: s, lists: Self.lists)
        let grant = AuthorizationGrant(idTag: "AAAAAAAA", presented: "AAAAAAAA", parentIdTag: "FLEET", source: .localWhitelist)
        #expect(engine.mayStop(started: grant, presented: "aaaaaaaa", connector: 1, now: Self.now) != nil)
        #expect(engine.mayStop(started: grant, presented: "L0CA1000", connector: 1, now: Self.now) != nil, "same group FLEET")
        #expect(engine.mayStop(started: grant, presented: "FFFFFFFF", connector: 1, now: Self.now) == .masterRFID)
        #expect(engine.mayStop(started: grant, presented: "CAC00000", connector: 1, now: Self.now) == nil)
        var unplugOnly = engine
        unplugOnly.settings.stopMode = .unplugOnly
        #expect(unplugOnly.mayStop(started: grant, presented: "AAAAAAAA", connector: 1, now: Self.now) == nil)
        var noMaster = engine
        noMaster.settings.enforceMasterRFID = false
        #expect(noMaster.mayStop(started: grant, presented: "FFFFFFFF", connector: 1, now: Self.now) == nil)
        let free = AuthorizationGrant(idTag: "freecharging", presented: "12345678", source: .freeCharging)
        #expect(engine.mayStop(started: free, presented: "12345678", connector: 1, now: Self.now) != nil)
        #expect(engine.mayStop(started: free, presented: "freecharging", connector: 1, now: Self.now) == nil,
                "only the card that started a fixed-tag free session stops it")
    }

    @Test("seeds002_2_3 Dummy/allowStop: a Plug&Charge session ends only by the station's button (INPUT_AUTH) and only when allowed; cards never")
    func seeds002_2_3_dummyAllowStop() {
        var settings = AuthorizationSettings()
        settings.dummyEnabled = true
        settings.dummyIdTag = "DUMMY"
        var engine = AuthorizationEngine(settings: settings, lists: Self.lists)
        let dummy = AuthorizationGrant(idTag: "DUMMY", presented: "DUMMY", source: .backend)
        #expect(engine.mayStop(started: dummy, presented: inputAuthIdentifier, connector: 1, now: Self.now) == nil)
        #expect(engine.mayStop(started: dummy, presented: "DUMMY", connector: 1, now: Self.now) == nil)
        engine.settings.dummyAllowStop = true
        #expect(engine.mayStop(started: dummy, presented: inputAuthIdentifier, connector: 1, now: Self.now) == .backend)
        #expect(engine.mayStop(started: dummy, presented: "12345678", connector: 1, now: Self.now) == nil, "a card does not end it")
        let card = AuthorizationGrant(idTag: "12345678", presented: "12345678", source: .backend)
        #expect(engine.mayStop(started: card, presented: inputAuthIdentifier, connector: 1, now: Self.now) == nil)
        #expect(engine.mayStop(started: card, presented: "12345678", connector: 1, now: Self.now) == .backend)
    }

    @Test("seeds002_1_7 no RFID: plugging in presents the dummy RFID to the backend every time online, even when the cache holds it; offline the rules decide")
    func seeds002_1_7_plugAndChargeAsksTheBackend() {
        var settings = AuthorizationSettings()
        settings.dummyEnabled = true
        settings.dummyIdTag = "DUMMY"
        var lists = Self.lists
        lists.cache.append(ListedIdentifier(idTag: "DUMMY", status: .accepted, updatedAt: Self.now))
        var flow = AuthorizationFlow(engine: AuthorizationEngine(settings: settings, lists: lists), cacheCapacity: 100)
        let free = AuthorizationFlow.Connector(session: nil, available: true, sessionActive: false, vehicleConnected: true,
                                               finishedWhileConnected: false, reserved: false)
        #expect(flow.plugAndCharge(connector: 2, [free, free], online: true, now: Self.now) == [.askBackend(idTag: "DUMMY", connector: 2)])
        #expect(flow.plugAndCharge(connector: 2, [free, free], online: true, now: Self.now).isEmpty, "one request per connector")
        let answered = flow.backendAnswered(idTag: "DUMMY", status: .accepted, parentIdTag: nil, expiry: nil, [free, free], now: Self.now)
        #expect(answered.last == .grant(connector: 2, AuthorizationGrant(idTag: "DUMMY", presented: "DUMMY", source: .backend), .plugIn))
        guard case .grant(1, let g, .plugIn)? = flow.plugAndCharge(connector: 1, [free, free], online: false, now: Self.now).first else {
            Issue.record("offline: the cached dummy is accepted by the local rules"); return
        }
        #expect(g.idTag == "DUMMY" && g.source == .cache)
        flow.engine.settings.dummyEnabled = false
        #expect(flow.plugAndCharge(connector: 1, [free, free], online: true, now: Self.now).isEmpty)
    }

    @Test("RFID Tag letter case (seeds/004 §5.3 example 0a0e9b83)", arguments: [
        (RFIDLetterCase.lower, "0a0e9b83"), (.upper, "0A0E9B83"), (.lowerReversed, "839b0e0a"), (.upperReversed, "839B0E0A"),
    ])
    func letterCase(letterCase: RFIDLetterCase, expected: String) {
        #expect(letterCase.format([0x0A, 0x0E, 0x9B, 0x83]) == expected)
    }

    @Test("free charging modes: plug-in start, OCPP transactions and fixed tag per mode")
    func freeChargingTable() {
        #expect(FreeChargingMode.allCases.filter(\.startsOnPlugIn) == [.noOCPP, .statusWithoutAuth, .fullFixedRFIDWithoutAuth])
        #expect(FreeChargingMode.allCases.filter(\.sendsTransactions) == [.fullFixedRFIDWithAuth, .fullFixedRFIDWithoutAuth, .fullAnyRFID])
        #expect(FreeChargingMode.allCases.filter { !$0.sendsStatusNotifications } == [.noOCPP])
        #expect(FreeChargingMode.allCases.count == 6)
    }
}
