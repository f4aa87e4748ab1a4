import Foundation
import Testing
@testable import Authorization
import EVSECore

/// The authorization flow as a machine: an identifier presented, the backend's answer or its silence in, actions out
/// (seeds/004 §5, OCPP 1.6 §3.5).
@Suite("Authorization flow: which connector, stop or start, the backend's answers and its silence")
struct AuthorizationFlowTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let whitelisted = "AAAAAAAA"

    static func flow(_ change: (inout AuthorizationSettings) -> Void = { _ in }) -> AuthorizationFlow {
        var s = AuthorizationSettings()
        change(&s)
        let lists = AuthorizationLists(whitelist: LocalWhitelist(entries: [WhitelistEntry(id: whitelisted, kind: .rfid)]))
        return AuthorizationFlow(engine: AuthorizationEngine(settings: s, lists: lists), cacheCapacity: 100)
    }

    static func free(_ count: Int = 2) -> [AuthorizationFlow.Connector] {
        Array(repeating: .init(session: nil, available: true, sessionActive: false, vehicleConnected: false, finishedWhileConnected: false,
                               reserved: false), count: count)
    }

    static func session(_ idTag: String, connector: Int = 1, provisional: Bool = false, parent: String? = nil) -> AuthorizationFlow.Connector {
        .init(session: ChargingSession(id: UUID(), connector: connector, idTag: idTag, method: .rfid, startedAt: now, meterStartWh: 0,
                                       presentedIdTag: idTag.isEmpty ? nil : idTag, parentIdTag: parent, source: .localWhitelist,
                                       provisional: provisional),
              available: true, sessionActive: true, vehicleConnected: true, finishedWhileConnected: false, reserved: false)
    }

    static func card(_ idTag: String) -> PresentedIdentifier { PresentedIdentifier(idTag: idTag.lowercased(), kind: .rfid) }

    @Test("a whitelisted card goes to the connector where a vehicle waits, else to the first free one that is not reserved")
    func target() {
        var flow = Self.flow()
        var connectors = Self.free()
        let first = flow.present(Self.card(Self.whitelisted), method: .rfid, connectors, online: false, now: Self.now)
        guard case .grant(1, let g, .rfid)? = first.first else { Issue.record("no grant on 1: \(first)"); return }
        #expect(g.source == .localWhitelist)
        connectors[1].vehicleConnected = true
        #expect(flow.present(Self.card(Self.whitelisted), method: .rfid, connectors, online: false, now: Self.now).first.map {
            if case .grant(2, _, _) = $0 { true } else { false }
        } == true, "the vehicle waits on 2")
        connectors = Self.free()
        connectors[0].reserved = true
        #expect(flow.present(Self.card(Self.whitelisted), method: .rfid, connectors, online: false, now: Self.now).first.map {
            if case .grant(2, _, _) = $0 { true } else { false }
        } == true, "1 is reserved for someone else")
    }

    @Test("the card of a running session stops it; a session started on plug-in takes the next card")
    func stopAndIdentify() {
        var flow = Self.flow()
        let running = [Self.session(Self.whitelisted.lowercased()), Self.free(1)[0]]
        #expect(flow.present(Self.card(Self.whitelisted), method: .rfid, running, online: false, now: Self.now)
                == [.stop(connector: 1, idTag: Self.whitelisted.lowercased())])
        let anonymous = [Self.session(""), Self.free(1)[0]]
        #expect(flow.present(Self.card("12345678"), method: .rfid, anonymous, online: true, now: Self.now)
                == [.identify(connector: 1, idTag: "12345678")])
    }

    @Test("no free connector: refused without a code; online, a card may still be for a running group's session")
    func noConnector() {
        var flow = Self.flow()
        let busy = [Self.session("11111111"), Self.session("22222222", connector: 2)]
        #expect(flow.present(Self.card("33333333"), method: .rfid, busy, online: false, now: Self.now)
                == [.reject(connector: 0, "33333333 presented but no connector is free", idTag: nil)])
        let group = [Self.session("11111111", parent: "FLEET"), Self.session("22222222", connector: 2)]
        #expect(flow.present(Self.card("33333333"), method: .rfid, group, online: true, now: Self.now)
                == [.askBackend(idTag: "33333333", connector: 1)])
        #expect(flow.backendAnswered(idTag: "33333333", status: .accepted, parentIdTag: "FLEET", expiry: nil, group, now: Self.now)
                == [.cache(ListedIdentifier(idTag: "33333333", status: .accepted, expiry: nil, parentIdTag: "FLEET", updatedAt: Self.now)),
                    .stop(connector: 1, idTag: "33333333")], "the backend names the group: the card stops its session (TC_069)")
    }

    @Test("an unknown card online asks the backend; its answer grants, or its silence applies the offline rules after the timeout")
    func backend() {
        var flow = Self.flow { $0.cacheEnabled = false }
        let connectors = Self.free()
        #expect(flow.present(Self.card("0A0E9B83"), method: .rfid, connectors, online: true, now: Self.now)
                == [.askBackend(idTag: "0a0e9b83", connector: 1)])
        #expect(flow.pending.map(\.connector) == [1])
        let answer = flow.backendAnswered(idTag: "0A0E9B83", status: .accepted, parentIdTag: nil, expiry: nil, connectors, now: Self.now)
        #expect(answer == [.grant(connector: 1, AuthorizationGrant(idTag: "0A0E9B83", presented: "0A0E9B83", source: .backend), .rfid)])
        #expect(flow.pending.isEmpty)

        _ = flow.present(Self.card("0A0E9B83"), method: .rfid, connectors, online: true, now: Self.now)
        #expect(flow.step(now: Self.now.addingTimeInterval(59), backendTimeout: .seconds(60)).isEmpty)
        #expect(flow.step(now: Self.now.addingTimeInterval(60), backendTimeout: .seconds(60)).first.map {
            if case .reject(1, _, "0a0e9b83") = $0 { true } else { false }
        } == true, "unknown offline and AllowOfflineTxForUnknownId off: rejected")
        #expect(flow.pending.isEmpty)

        var lenient = Self.flow { $0.allowOfflineTxForUnknownId = true }
        _ = lenient.present(Self.card("0A0E9B83"), method: .rfid, connectors, online: true, now: Self.now)
        #expect(lenient.backendUnavailable().first.map { if case .grant(1, let g, _) = $0 { g.source == .offlineUnknown } else { false } } == true,
                "the connection is lost: the offline rules apply at once")
    }

    @Test("the backend rejects the identifier of a provisional session: it is stopped (If in doubt allow charging)")
    func provisional() {
        var flow = Self.flow { $0.cacheEnabled = false }
        let connectors = [Self.session("0a0e9b83", provisional: true), Self.free(1)[0]]
        #expect(flow.backendAnswered(idTag: "0A0E9B83", status: .invalid, parentIdTag: nil, expiry: nil, connectors, now: Self.now)
                == [.deauthorize(connector: 1, idTag: "0A0E9B83", .invalid)])
    }

    @Test("learning mode lasts its duration, keeps what was learned, and keeps its length when the wall clock steps")
    func learning() {
        var flow = Self.flow()
        flow.setLearning(true, now: Self.now, duration: .seconds(300))
        flow.didLearn("12345678")
        #expect(flow.learning(now: Self.now.addingTimeInterval(299)))
        flow.shiftTimers(by: -3600)
        _ = flow.step(now: Self.now.addingTimeInterval(-3600 + 299), backendTimeout: .seconds(60))
        #expect(flow.learningUntil != nil && flow.learned == ["12345678"])
        _ = flow.step(now: Self.now.addingTimeInterval(-3600 + 300), backendTimeout: .seconds(60))
        #expect(flow.learningUntil == nil)
    }
}
