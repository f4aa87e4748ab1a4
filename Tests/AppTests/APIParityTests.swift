import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Synchronization
import Testing
import Authorization
import ChargePoint
import WebUI
@testable import App
@testable import Runtimes

/// API parity with the web interface (issue 30 item 4): the System page's actions and the password form as API calls,
/// calling the station methods the web interface calls, with the same role rules and confirmations.
@Suite("API parity: what the web interface does, the API does")
struct APIParityTests {
    static let auth: HTTPFields = [.authorization: "Bearer \(RouterHarness.token)", .contentType: "application/json"]

    static func object(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as? [String: Any]) ?? [:]
    }

    @Test("seeds004_3 factory reset by API: refused without confirm (400 naming it), then 202 and the station resets")
    func seeds004_3_factoryResetByAPI() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let uri = "/api/system/factory-reset"
            let missing = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: "{}"))
            #expect(missing.status == .badRequest && Self.object(missing)["field"] as? String == "confirm")
            let no = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"confirm": false}"#))
            #expect(no.status == .badRequest && Self.object(no)["field"] as? String == "confirm")
            #expect(h.restarts.kinds.withLock { $0.isEmpty }, "nothing restarted")
            let yes = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"confirm": true}"#))
            #expect(yes.status == .accepted && Self.object(yes)["restarting"] as? String == "factoryReset")
            #expect(h.restarts.kinds.withLock { $0 } == [.factoryReset])
        }
    }

    @Test("seeds002_1_2 Restart Daemon / Reboot System by API: 202 with the kind; an unknown kind 400 naming the field")
    func seeds002_1_2_restartByAPI() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let bad = try await client.execute(uri: "/api/system/restart", method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"kind": "halt"}"#))
            #expect(bad.status == .badRequest && Self.object(bad)["field"] as? String == "kind")
            let services = try await client.execute(uri: "/api/system/restart", method: .post, headers: Self.auth, body: ByteBuffer(string: "{}"))
            #expect(services.status == .accepted && Self.object(services)["restarting"] as? String == "services")
            let reboot = try await client.execute(uri: "/api/system/restart", method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"kind": "reboot"}"#))
            #expect(reboot.status == .accepted)
            #expect(h.restarts.kinds.withLock { $0 } == [.services, .reboot])
        }
    }

    @Test("seeds004_3 Operator Default & Restart by API: the operator's parameters back to default, the installer's kept, restart")
    func seeds004_3_operatorDefaultByAPI() async throws {
        let h = try await RouterHarness(preset: ["OperatorCurrentLimit.1": .integer(10), "PowerSourceVoltage": .integer(240)])
        try await h.app.test(.router) { client in
            let uri = "/api/system/operator-default"
            #expect(try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: "{}")).status == .badRequest)
            #expect(try await h.value("OperatorCurrentLimit.1") == "10", "nothing changed without confirm")
            let r = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"confirm": true}"#))
            #expect(r.status == .accepted && Self.object(r)["restarting"] as? String == "operatorDefault")
            #expect(try await h.value("OperatorCurrentLimit.1") == "32")
            #expect(try await h.value("PowerSourceVoltage") == "240", "the installer's setting stays")
            #expect(h.restarts.kinds.withLock { $0 } == [.services])
        }
    }

    @Test("seeds002_1_6 clock set by API: a time without zone 400 naming 'time', more than a year away 409, else stepped")
    func seeds002_1_6_clockSetByAPI() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let uri = "/api/system/clock"
            let bad = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"time": "2026-12-05 08:00"}"#))
            #expect(bad.status == .badRequest && Self.object(bad)["field"] as? String == "time")
            let far = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"time": "1999-01-01T00:00:00Z"}"#))
            #expect(far.status == .conflict)
            let target = Date().addingTimeInterval(3600)
            let text = ISO8601DateFormatter().string(from: target)
            let ok = try await client.execute(uri: uri, method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"time": "\#(text)"}"#))
            #expect(ok.status == .ok, "\(String(buffer: ok.body))")
            let set = Self.object(ok)["lastClockSet"] as? [String: Any]
            #expect(abs((set?["movedSeconds"] as? Double ?? 0) - 3600) < 60)
            #expect(set?["source"] as? String == "api", "the System page tells an API setting from a browser's")
            let system = try await client.execute(uri: "/api/system", method: .get, headers: Self.auth)
            #expect(system.status == .ok && Self.object(system)["waitingForRestart"] is [Any])
            let log = try await client.execute(uri: "/api/system/log.zip", method: .get, headers: Self.auth)
            #expect(log.status == .ok && log.headers[.contentType] == "application/zip" && Array(buffer: log.body).prefix(2) == [0x50, 0x4B])
        }
    }

    @Test("seeds004_3 change password by API: old password needed, the policy's rules, manufacturer 403, then the web login takes it")
    func seeds004_3_changePasswordByAPI() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            func change(_ account: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/accounts/\(account)/password", method: .put, headers: Self.auth, body: ByteBuffer(string: body))
            }
            let manufacturer = try await change("manufacturer", #"{"old": "x", "new": "manufacturer-pw-1"}"#)
            #expect(manufacturer.status == .forbidden)
            #expect(try await change("nobody", #"{"old": "x", "new": "y"}"#).status == .notFound)
            let wrong = try await change("operator", #"{"old": "wrong", "new": "operator-pw-123"}"#)
            #expect(wrong.status == .badRequest && Self.object(wrong)["field"] as? String == "old")
            let short = try await change("operator", #"{"old": "\#(h.password("operator"))", "new": "short"}"#)
            #expect(short.status == .badRequest && Self.object(short)["field"] as? String == "new")
            let ok = try await change("operator", #"{"old": "\#(h.password("operator"))", "new": "operator-pw-123"}"#)
            #expect(ok.status == .ok, "\(String(buffer: ok.body))")
            var b = Browser()
            try await client.send(&b, .get, "/login")
            let login = try await client.send(&b, .post, "/login", form: ["name": "operator", "password": "operator-pw-123"])
            #expect(login.status == .seeOther && login.headers[.location] == "/", "the new password, no forced change any more")
        }
    }
}

extension APIParityTests {
    @Test("seeds002_1_7 whitelist import by API refuses an empty file as the web form does (replace must not empty the list)")
    func seeds002_1_7_emptyImportRefusedByAPI() async throws {
        let h = try await RouterHarness()
        _ = try await h.runtime.whitelistAdd(WhitelistEntryInput(id: "04567DAA5F3580"))
        try await h.app.test(.router) { client in
            for body in ["", " \n"] {
                let r = try await client.execute(uri: "/api/whitelist/import?mode=replace", method: .post,
                                                 headers: [.authorization: "Bearer \(RouterHarness.token)", .contentType: "text/csv"],
                                                 body: ByteBuffer(string: body))
                #expect(r.status == .badRequest && Self.object(r)["field"] as? String == "body", "\(String(buffer: r.body))")
            }
            #expect(await h.runtime.whitelist(search: "").count == 1, "the list was not emptied")
        }
    }
}

extension APIParityTests {
    @Test("seeds002_1_7 whitelist entry errors name the field in error (groupID, expiry, authorization), not always the id")
    func seeds002_1_7_whitelistErrorsNameTheField() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            for (body, field) in [(#"{"id": "0A0E9B83", "groupID": "123456789012345678901"}"#, "groupID"),
                                  (#"{"id": "0A0E9B83", "expiry": "soon"}"#, "expiry"),
                                  (#"{"id": "0A0E9B83", "authorization": "maybe"}"#, "authorization"),
                                  (#"{"id": "0A0E9B"}"#, "id")] {
                let r = try await client.execute(uri: "/api/whitelist", method: .post, headers: Self.auth, body: ByteBuffer(string: body))
                #expect(r.status == .badRequest && Self.object(r)["field"] as? String == field, "\(body): \(String(buffer: r.body))")
            }
        }
    }
}

extension APIParityTests {
    @Test("seeds004_4 Save of a parameter page by API: several parameters all or nothing, every refused key named, role rules kept")
    func seeds004_4_saveSeveralParametersByAPI() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            func patch(_ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/config", method: .patch, headers: Self.auth, body: ByteBuffer(string: body))
            }
            let bad = try await patch(#"{"values": {"OperatorCurrentLimit.1": 10, "PowerSourceVoltage": 999}}"#)
            #expect(bad.status == .badRequest, "\(String(buffer: bad.body))")
            #expect((Self.object(bad)["fields"] as? [String: Any])?.keys.sorted() == ["PowerSourceVoltage"])
            #expect(try await h.value("OperatorCurrentLimit.1") == "32", "nothing was changed")
            #expect(try await patch(#"{"values": {"HardwareMaxCurrent.1": 16}}"#).status == .forbidden, "a manufacturer parameter")
            #expect(try await patch(#"{"values": {"OperatorCurrentLimit.1": 10}, "role": "manufacturer"}"#).status == .forbidden)
            #expect(try await patch(#"{"values": {"NoSuchKey": 1}}"#).status == .notFound)
            #expect(try await patch(#"{"values": {}}"#).status == .badRequest)
            let ok = try await patch(#"{"values": {"OperatorCurrentLimit.1": 10, "PowerSourceVoltage": "240"}, "changedBy": "bms"}"#)
            #expect(ok.status == .ok, "\(String(buffer: ok.body))")
            #expect(try await h.value("OperatorCurrentLimit.1") == "10")
            #expect(try await h.value("PowerSourceVoltage") == "240")
        }
    }
}

extension APIParityTests {
    @Test("seeds002_1_7 whitelist CSV export and import by API round-trip; DLM slave DB clearing needs a DLM master (409)")
    func seeds002_1_7_whitelistCSVRoundTripByAPI() async throws {
        let h = try await RouterHarness()
        _ = try await h.runtime.whitelistAdd(WhitelistEntryInput(id: "04567DAA5F3580", groupID: "fleet", authorization: "blocked"))
        try await h.app.test(.router) { client in
            let export = try await client.execute(uri: "/api/whitelist/export?format=technagon", method: .get, headers: Self.auth)
            #expect(export.status == .ok && export.headers[.contentType] == "text/csv; charset=utf-8")
            let csv = String(buffer: export.body)
            #expect(csv.contains("04567DAA5F3580") && csv.contains("blocked"))
            #expect(try await client.execute(uri: "/api/whitelist", method: .delete, headers: Self.auth).status == .ok)
            let imported = try await client.execute(uri: "/api/whitelist/import?mode=replace", method: .post, headers: Self.auth, body: ByteBuffer(string: csv))
            #expect(imported.status == .ok && Self.object(imported)["totalEntries"] as? Int == 1, "\(String(buffer: imported.body))")
            let back = await h.runtime.whitelist(search: "").entries
            #expect(back.map(\.id) == ["04567DAA5F3580"] && back.first?.groupID == "fleet" && back.first?.authorization == .blocked)
            let slaves = try await client.execute(uri: "/api/dlm/slaves", method: .delete, headers: Self.auth)
            #expect(slaves.status == .conflict, "not a DLM master: \(String(buffer: slaves.body))")
        }
    }
}
