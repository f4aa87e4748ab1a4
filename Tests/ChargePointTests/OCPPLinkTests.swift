import Foundation
import Testing
import EVSECore
import OCPP16
import Synchronization
import TestSupport
@testable import ChargePoint

@Suite("OCPP link (registration, one outstanding CALL, heartbeats)")
struct OCPPLinkTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let boot = BootNotificationRequest(chargePointVendor: "ChargeKit", chargePointModel: "CK-2")

    func link(heartbeat: Int = 60, force: Bool = true) -> OCPPLink {
        let counter = Counter()
        return OCPPLink(configuration: .init(bootNotification: boot, heartbeatInterval: .seconds(heartbeat), forceHeartbeat: force,
                                             messageTimeout: .seconds(30), bootRetryDefault: .seconds(30),
                                             supportedProfiles: [.core, .localAuthListManagement, .remoteTrigger]),
                        makeID: { counter.next() })
    }

    /// The CALLs among outputs as (id, action).
    func sent(_ outputs: [OCPPLink.Output]) -> [(String, String)] {
        outputs.compactMap {
            guard case .send(let text) = $0, case .call(let id, let action, _)? = try? OCPPFrame.parse(text) else { return nil }
            return (id, action)
        }
    }

    func bootAnswer(_ id: String, _ status: String, interval: Int) -> String {
        "[3,\"\(id)\",{\"status\":\"\(status)\",\"currentTime\":\"2027-01-15T08:00:00Z\",\"interval\":\(interval)}]"
    }

    @Test("boots on connect; Rejected sends nothing until the interval, then boots again")
    func rejectedWaits() {
        var l = link()
        let first = sent(l.connected(now: t0))
        #expect(first.map(\.1) == ["BootNotification"])
        let out = l.received(bootAnswer(first[0].0, "Rejected", interval: 10), now: t0)
        #expect(out.contains(.registered(.rejected, interval: 10, currentTime: OCPPDate.parse("2027-01-15T08:00:00Z")!)))
        l.enqueueStatus(connector: 1, StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Available"))
        #expect(sent(l.poll(now: t0.addingTimeInterval(9), transaction: nil)).isEmpty)
        #expect(sent(l.poll(now: t0.addingTimeInterval(10), transaction: nil)).map(\.1) == ["BootNotification"])
        // A CALL of the central system while Rejected is not answered.
        #expect(l.received("[2,\"x\",\"GetLocalListVersion\",{}]", now: t0.addingTimeInterval(10)).allSatisfy {
            if case .send = $0 { return false }; return true
        })
    }

    @Test("one outstanding CALL: the next waits for the answer; statuses go before other CALLs and transactions")
    func oneOutstanding() throws {
        var l = link()
        let b = sent(l.connected(now: t0))
        _ = l.received(bootAnswer(b[0].0, "Accepted", interval: 60), now: t0)
        l.enqueue(.init(id: "auth-1", action: "Authorize", payload: .object(["idTag": .string("A")]), purpose: .authorize(idTag: "A")))
        l.enqueueStatus(connector: 1, StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Preparing"))
        l.enqueueStatus(connector: 1, StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Charging"))
        let tx = OCPPLink.Call(id: "tx-1", action: "StartTransaction", payload: .object([:]), purpose: .transaction(sequence: 7))
        let s1 = sent(l.poll(now: t0, transaction: tx))
        #expect(s1.map(\.1) == ["StatusNotification"])
        // Only the latest status of connector 1 is sent; nothing more until it is answered.
        #expect(sent(l.poll(now: t0, transaction: tx)).isEmpty)
        _ = l.received("[3,\"\(s1[0].0)\",{}]", now: t0)
        #expect(sent(l.poll(now: t0, transaction: tx)).map(\.1) == ["Authorize"])
        let answered = l.received("[3,\"auth-1\",{\"idTagInfo\":{\"status\":\"Accepted\"}}]", now: t0)
        #expect(answered == [.answered(.authorize(idTag: "A"), action: "Authorize", payload: try JSONParser.parse("{\"idTagInfo\":{\"status\":\"Accepted\"}}"))])
        #expect(sent(l.poll(now: t0, transaction: tx)).map(\.0) == ["tx-1"])
    }

    @Test("an invalid answer and a timeout are failures; transactions wait for their retry time")
    func failures() {
        var l = link()
        let b = sent(l.connected(now: t0))
        _ = l.received(bootAnswer(b[0].0, "Accepted", interval: 60), now: t0)
        let tx = OCPPLink.Call(id: "tx-1", action: "StartTransaction", payload: .object([:]), purpose: .transaction(sequence: 1))
        _ = l.poll(now: t0, transaction: tx)
        let bad = l.received("[3,\"tx-1\",{\"transactionId\":5}]", now: t0)
        guard case .failed(.transaction(1), _, let code, _, false)? = bad.first else { Issue.record("expected a failure: \(bad)"); return }
        #expect(code == "OccurenceConstraintViolation")
        l.transactionsNotBefore = t0.addingTimeInterval(60)
        #expect(sent(l.poll(now: t0.addingTimeInterval(59), transaction: tx)).isEmpty)
        #expect(sent(l.poll(now: t0.addingTimeInterval(60), transaction: tx)).map(\.0) == ["tx-1"])
        let timeout = l.poll(now: t0.addingTimeInterval(91), transaction: nil)
        #expect(timeout.contains { if case .failed(.transaction(1), _, _, _, true) = $0 { return true }; return false })
    }

    @Test("heartbeat after the interval; with Force off only after silence")
    func heartbeats() {
        var l = link(heartbeat: 60, force: false)
        let b = sent(l.connected(now: t0))
        _ = l.received(bootAnswer(b[0].0, "Accepted", interval: 0), now: t0)
        l.enqueue(.init(id: "dt", action: "DataTransfer", payload: .object(["vendorId": .string("x")]), purpose: .other))
        let d = sent(l.poll(now: t0.addingTimeInterval(30), transaction: nil))
        _ = l.received("[3,\"\(d[0].0)\",{\"status\":\"Accepted\"}]", now: t0.addingTimeInterval(30))
        #expect(sent(l.poll(now: t0.addingTimeInterval(60), transaction: nil)).isEmpty)
        #expect(sent(l.poll(now: t0.addingTimeInterval(90), transaction: nil)).map(\.1) == ["Heartbeat"])
    }

    @Test("CALLs of the central system are validated; crossing CALLs are served while ours waits")
    func incoming() {
        var l = link()
        let b = sent(l.connected(now: t0))
        // Answered even before the BootNotification is (lbbrhzn/ocpp#1510).
        let early = l.received("[2,\"c1\",\"GetConfiguration\",{}]", now: t0)
        #expect(early == [.request(id: "c1", action: "GetConfiguration", payload: .object([:]))])
        let unknown = l.received("[2,\"c2\",\"FooBar\",{}]", now: t0)
        #expect(unknown == [.send("[4,\"c2\",\"NotImplemented\",\"unknown action FooBar\",{}]")])
        let unsupported = l.received("[2,\"c3\",\"CancelReservation\",{\"reservationId\":1}]", now: t0)
        guard case .send(let text)? = unsupported.first else { Issue.record("no answer"); return }
        #expect(text.hasPrefix("[4,\"c3\",\"NotSupported\""))
        #expect(l.inFlight?.call.id == b[0].0)
        let oops = "the frame is not valid JSON: \(errorReason("{oops"))"
        #expect(l.received("{oops", now: t0) == [.dropped(reason: oops), .invalid(reason: oops)])
    }

    func errorReason(_ text: String) -> String {
        do { _ = try JSONParser.parse(text); return "" } catch { return error.reason }
    }
}

final class Counter: Sendable {
    private let n = Atomic<Int>(0)
    func next() -> String { "m\(n.add(1, ordering: .relaxed).newValue)" }
}

@Suite("OCPP configuration keys")
struct OCPPConfigurationKeysTests {
    let context = OCPPConfigurationKeys.Context(supportedProfiles: [.core, .localAuthListManagement, .remoteTrigger])
    var values: ParameterSet { ParameterSet(registry: ParameterRegistry(connectorCount: 2)) }

    @Test("standard keys come from the registry with OCPP text; the AuthorizationKey is never shown")
    func get() {
        let all = OCPPConfigurationKeys.all(values, context)
        let byKey = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["HeartbeatInterval"]?.value == "300")
        #expect(byKey["LocalPreAuthorize"]?.value == "true")
        #expect(byKey["ConnectionTimeOut"]?.value == "45")
        #expect(byKey["ConnectorPhaseRotation"]?.value == "1.RST,2.RST")
        #expect(byKey["NumberOfConnectors"]?.readonly == true)
        #expect(byKey["ConnectorPhaseRotation"]?.readonly == true)
        #expect(byKey["ConnectionTimeOut"]?.readonly == false)
        #expect(byKey["MeterValuesSampledData"]?.value == "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Current.Offered,Voltage")
        #expect(byKey["AuthorizationKey"] == nil)
        // Installer parameters are vendor keys the operator-role backend may read but not write.
        #expect(byKey["InstallationCurrentLimit.1"]?.readonly == true)
        #expect(byKey["OperatorCurrentLimit.1"]?.readonly == false)
        #expect(Set(all.map(\.key)).count == all.count)
        let (known, unknown) = OCPPConfigurationKeys.get(["heartbeatinterval", "Nope"], values, context)
        #expect(known.map(\.key) == ["HeartbeatInterval"] && unknown == ["Nope"])
    }

    @Test("ChangeConfiguration outcomes", arguments: [
        ("MeterValueSampleInterval", "30", OCPPConfigurationKeys.ChangeOutcome.apply(["MeterValueSampleInterval": .integer(30)], rebootRequired: false)),
        ("MeterValueSampleInterval", "-1", .rejected("")),
        ("LocalPreAuthorize", "TRUE", .apply(["LocalPreAuthorize": .bool(true)], rebootRequired: false)),
        ("LocalPreAuthorize", "on", .rejected("")),
        ("MeterValuesSampledData", "Voltage,SoC", .apply(["MeterValuesSampledData": .list(["Voltage", "SoC"])], rebootRequired: false)),
        ("MeterValuesSampledData", "Temperature", .rejected("")),
        // Phase rotation is an installer setting (seeds/004 §7.3): read-only for the backend.
        ("ConnectorPhaseRotation", "1.RTS,2.TSR", .rejected("")),
        ("ConnectionTimeOut", "120", .apply(["VehicleConnectionTimeout": .integer(120)], rebootRequired: false)),
        ("NumberOfConnectors", "1", .rejected("")),
        ("InstallationCurrentLimit.1", "16", .rejected("")),
        ("Testing", "1", .notSupported),
        // A new password applies at the next connection, which the station opens at once (security whitepaper A01).
        ("AuthorizationKey", "0011223344556677889900112233445566778899", .apply(["AuthorizationKey": .string("0011223344556677889900112233445566778899")], rebootRequired: false)),
        ("AuthorizationKey", "too-short", .rejected("")),
    ])
    func change(key: String, value: String, expected: OCPPConfigurationKeys.ChangeOutcome) {
        let outcome = OCPPConfigurationKeys.change(key: key, value: value, values, context)
        if case .rejected = expected {
            guard case .rejected = outcome else { Issue.record("\(key)=\(value): expected Rejected, got \(outcome)"); return }
        } else {
            #expect(outcome == expected)
        }
    }

    @Test("TC_085 with AuthorizationKeyEncoding hex: a key of 32–40 hex digits is sent as its bytes; otherwise as text")
    func TC_085_basicAuthHex() {
        var p = values
        p.set(.authorizationKeyEncoding, PasswordEncoding.hex)
        p.set(StationParameters.authorizationKey, .string("4f43415f4f4354545f61646d696e5f74657374"))
        #expect(BackendSettings(p).basicAuthPassword == Array("OCA_OCTT_admin_test".utf8))
        p.set(StationParameters.authorizationKey, .string("plain-secret"))
        #expect(BackendSettings(p).basicAuthPassword == Array("plain-secret".utf8))
        p.set(StationParameters.authorizationKeyEncoding, .string("plain"))
        p.set(StationParameters.authorizationKey, .string("4f43415f4f4354545f61646d696e5f74657374"))
        #expect(BackendSettings(p).basicAuthPassword == Array("4f43415f4f4354545f61646d696e5f74657374".utf8))
    }

    @Test("independent central systems (ocpp-csms, arthexis) compare the key as typed: that is the factory setting, also for a stored configuration without AuthorizationKeyEncoding")
    func peers_authorizationKeyAsTypedByDefault() throws {
        var p = values
        #expect(p.value(StationParameters.authorizationKeyEncoding) == .string("plain"))
        p.set(StationParameters.authorizationKey, .string("4f43415f4f4354545f61646d696e5f74657374"))
        #expect(BackendSettings(p).basicAuthPassword == Array("4f43415f4f4354545f61646d696e5f74657374".utf8))
        // A configuration stored by an earlier version (no AuthorizationKeyEncoding in it) loads with the new default.
        let stored = InMemoryParameterStore([StationParameters.authorizationKey: .string("0123456789abcdef0123456789abcdef")])
        let loaded = try ParameterService(store: stored)
        #expect(BackendSettings(loaded.values).basicAuthPassword == Array("0123456789abcdef0123456789abcdef".utf8))
    }

    @Test("backend URL must be ws:// or wss:// with a host")
    func url() throws {
        let r = try values.registry.resolve(StationParameters.backendURL)
        for good in ["ws://cs.example.com:9000/ocpp", "wss://ocpp.e-flux.nl/1.6/powerstation", "ws://[::1]:9000/x", ""] {
            #expect(throws: Never.self) { try values.registry.parse(good, for: r) }
        }
        for bad in ["http://cs.example.com", "ws://", "ws://host:0/x", "ws://ho st/x", "cs.example.com"] {
            #expect(throws: ParameterError.self) { try values.registry.parse(bad, for: r) }
        }
    }

    @Test("peers that route …/<id>/ or the id mid-path (arthexis): BackendURL forms, trailing slash kept, {ChargeBoxIdentity}/{id}",
          arguments: [
              ("ws://cs:9000/ocpp", "ws://cs:9000/ocpp/CK%2F1%20a"),
              ("ws://cs:9000/ocpp/", "ws://cs:9000/ocpp/CK%2F1%20a/"),
              ("ws://cs:9000/ocpp//", "ws://cs:9000/ocpp/CK%2F1%20a/"),
              ("ws://cs:9000/ocpp/{ChargeBoxIdentity}/ws", "ws://cs:9000/ocpp/CK%2F1%20a/ws"),
              ("wss://cs.example.com/{id}/", "wss://cs.example.com/CK%2F1%20a/"),
              ("ws://cs/ocpp?cp={id}", "ws://cs/ocpp?cp=CK%2F1%20a"),
          ])
    func peers_backendURLForms(backendURL: String, expected: String) throws {
        #expect(BackendURL.connectionURL(backendURL, identity: "CK/1 a") == expected)
        let r = try values.registry.resolve(StationParameters.backendURL)
        #expect(throws: Never.self) { try values.registry.parse(backendURL, for: r) }
    }

    @Test("malformed BackendURL placeholders are refused with what is wrong", arguments: [
        ("ws://cs/ocpp/{ChargeBoxIdentity", "a brace without its partner"),
        ("ws://cs/ocpp/ChargeBoxIdentity}", "a brace without its partner"),
        ("ws://cs/ocpp/{chargeboxid}", "unknown placeholder {chargeboxid}"),
        ("ws://cs/{id}/{ChargeBoxIdentity}", "the placeholder stands 2 times"),
        ("ws://{id}.cs.example.com/ocpp", "not in the host or port"),
        ("ws://cs/ocpp#{id}", "not after #"),
    ])
    func backendURLRefused(backendURL: String, why: String) throws {
        let r = try values.registry.resolve(StationParameters.backendURL)
        do {
            _ = try values.registry.parse(backendURL, for: r)
            Issue.record("\(backendURL) was accepted")
        } catch {
            #expect(error.kind == .invalidValue && error.key == StationParameters.backendURL)
            #expect(error.allowed?.contains(why) == true, "\(error.message)")
            #expect(error.message.contains("{ChargeBoxIdentity} or {id}"))
        }
    }
}

@Suite("OCPP StopTransaction data")
struct OCPPStopTransactionTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func record(reason: StopReason) -> SessionRecord {
        SessionRecord(session: ChargingSession(id: UUID(), connector: 1, idTag: "AABBCCDD", method: .rfid, startedAt: t0, meterStartWh: 1000),
                      stoppedAt: t0.addingTimeInterval(600), meterStopWh: 3500, stopReason: reason)
    }

    func energy(_ wh: String, _ context: String, _ at: Date) -> MeterValue {
        MeterValue(timestamp: at, sampledValue: [SampledValue(value: wh, context: context, measurand: "Energy.Active.Import.Register", unit: "Wh")])
    }

    @Test("recorded values are kept; a missing Transaction.End (power loss) is completed from the session record")
    func completes() throws {
        let recorded = [energy("1000", "Transaction.Begin", t0), energy("2000", "Sample.Clock", t0.addingTimeInterval(300))]
        let r = OCPPMapping.stopTransaction(record(reason: .powerLoss), transactionID: nil, recorded: recorded,
                                            sampledMeasurands: [.energyActiveImportRegister], settings: BackendSettings(ParameterSet(registry: ParameterRegistry(connectorCount: 2))))
        let data = try #require(r.transactionData)
        #expect(data.map { $0.sampledValue[0].context } == ["Transaction.Begin", "Sample.Clock", "Transaction.End"])
        #expect(data.last?.sampledValue[0].value == "3500")
        #expect(r.transactionId == -1 && r.idTag == nil && r.reason == "PowerLoss" && r.meterStop == 3500)
    }

    @Test("a local stop carries the idTag and no reason; nothing sampled and nothing recorded means no transactionData")
    func localStop() {
        let r = OCPPMapping.stopTransaction(record(reason: .local), transactionID: 17, recorded: [], sampledMeasurands: [], settings: BackendSettings(ParameterSet(registry: ParameterRegistry(connectorCount: 2))))
        #expect(r.idTag == "AABBCCDD" && r.reason == nil && r.transactionId == 17 && r.transactionData == nil)
    }
}
