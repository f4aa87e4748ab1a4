import Foundation
import Testing
import Authorization
import EVSECore
import OCPP16
import TestSupport
@testable import ChargePoint

/// Issue 20 items 4, 7, 8, 9: the pure parts.
@Suite("Security and robustness: secrets, CSV cells, backend time")
struct SecurityTests {
    @Test("a secret parameter is write-only over OCPP: not listed, unknown when asked for")
    func secretsOverOCPP() {
        var values = ParameterSet(registry: ParameterRegistry(connectorCount: 2))
        values.set("DLMNetworkKey", .string("dlm-secret"))
        let context = OCPPConfigurationKeys.Context(supportedProfiles: [.core])
        let all = OCPPConfigurationKeys.all(values, context)
        for key in values.registry.secretKeys { #expect(!all.contains { $0.key == key }, "\(key)") }
        #expect(!all.contains { $0.value?.contains("dlm-secret") == true })
        let (known, unknown) = OCPPConfigurationKeys.get(["DLMNetworkKey"], values, context)
        #expect(known.isEmpty && unknown == ["DLMNetworkKey"])
        #expect(values.registry.secretKeys.isSuperset(of: ["DLMNetworkKey", "AuthorizationKey"]))
    }

    @Test("the audit trail says that a secret changed, never its value")
    func auditMasksSecrets() throws {
        let store = InMemoryParameterStore()
        var service = try ParameterService(store: store)
        try service.set("DLMNetworkKey", .string("first-secret"), role: .installer, changedBy: "test", now: Date())
        try service.set("DLMNetworkKey", .string("second-secret"), role: .installer, changedBy: "test", now: Date())
        try service.set("HeartbeatInterval", .integer(600), role: .operator, changedBy: "test", now: Date())
        let secret = store.audit.filter { $0.key == "DLMNetworkKey" }
        #expect(secret.count == 2)
        #expect(secret.allSatisfy { $0.newValue == ParameterAuditEntry.secretMarker && ($0.oldValue ?? ParameterAuditEntry.secretMarker) == ParameterAuditEntry.secretMarker })
        #expect(!store.audit.contains { ($0.oldValue ?? "").contains("secret-") || $0.newValue.contains("secret-") })
        #expect(store.audit.last?.newValue == "600", "other parameters keep their values")
        #expect(try store.loadParameters()["DLMNetworkKey"] == .string("second-secret"), "the value itself is stored")
    }

    @Test("CSV cells: formulas neutralised (OWASP), separators quoted, our own import takes the quote mark off", arguments: [
        ("04567daa5f3580", "04567daa5f3580"), ("=1+2", "'=1+2"), ("+49", "'+49"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("a,b", "\"a,b\""), ("=a,\"b\"", "\"'=a,\"\"b\"\"\""), ("", ""), ("'=x", "'=x"),
    ])
    func csvCells(text: String, cell: String) {
        #expect(CSVCell.field(text) == cell)
        if !cell.hasPrefix("\"") { #expect(CSVCell.unneutralised(cell) == text || text.hasPrefix("'")) }
    }

    @Test("the whitelist export imports unchanged although its group ids are neutralised")
    func whitelistRoundTrip() throws {
        let entries = [WhitelistEntry(id: "04567daa5f3580", kind: .rfid, groupID: "=CMD"), WhitelistEntry(id: "0a0e9b83", kind: .rfid, groupID: "@g")]
        let text = WhitelistCSV.export(entries, format: .technagon)
        #expect(text.contains("'=CMD") && text.contains("'@g"))
        let (_, parsed, _) = try WhitelistCSV.parse(text)
        #expect(parsed.map(\.groupID) == ["=CMD", "@g"])
    }

    @Test("the history shows the backend's transaction id and neutralises formulas")
    func historyRow() {
        let session = ChargingSession(id: UUID(), connector: 1, idTag: "=1+2", method: .remote, startedAt: Date(timeIntervalSince1970: 0), meterStartWh: 0)
        let row = HistoryRow(SessionRecord(session: session, stoppedAt: Date(timeIntervalSince1970: 60), meterStopWh: 10, stopReason: .remote,
                                           transactionId: 4711), disclose: true)
        #expect(row.transactionId == 4711)
        let csv = ChargingHistory.csv([row])
        // transactionId, then the solar columns and the signed meter columns, empty.
        #expect(csv.contains(",'=1+2,") && csv.hasSuffix(",4711,,,,,,\r\n"))
    }

    static let release = Date(timeIntervalSince1970: 1_794_268_800)
    static let policy = BackendTimePolicy(earliest: release)

    @Test("backend time: before the release refused; a trusted clock moves at most a day; an untrusted one takes any plausible time")
    func backendTime() {
        let now = Self.release.addingTimeInterval(30 * 86_400)
        #expect(Self.policy.decide(backend: now.addingTimeInterval(1), now: now, roundTripSeconds: 0) == .keep)
        #expect(Self.policy.decide(backend: now.addingTimeInterval(1), now: now, roundTripSeconds: 4) == .keep, "within the round trip")
        #expect(Self.policy.decide(backend: now.addingTimeInterval(600), now: now, roundTripSeconds: 0) == .step(seconds: 600))
        #expect(Self.policy.decide(backend: now.addingTimeInterval(-3600), now: now, roundTripSeconds: 0) == .step(seconds: -3600))
        guard case .refuse(let why) = Self.policy.decide(backend: now.addingTimeInterval(-25 * 365 * 86_400), now: now, roundTripSeconds: 0) else {
            Issue.record("25 years back was followed"); return
        }
        #expect(why.contains("before this firmware's release"))
        guard case .refuse = Self.policy.decide(backend: now.addingTimeInterval(2 * 86_400), now: now, roundTripSeconds: 0) else {
            Issue.record("two days ahead was followed by a trusted clock"); return
        }
        let unset = Date(timeIntervalSince1970: 0)  // a board without a real-time clock after power-up
        #expect(Self.policy.decide(backend: now, now: unset, roundTripSeconds: 0) == .step(seconds: now.timeIntervalSince(unset)))
    }
}
