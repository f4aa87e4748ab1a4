import Foundation
import Testing
@testable import Authorization

@Suite("Local whitelist and CSV")
struct WhitelistTests {
    @Test("identifiers accepted (seeds/000: 4, 7 or 10 bytes hex + _1/_2, INPUT_AUTH, MAC)", arguments: [
        ("04567DAA5F3580", "04567DAA5F3580", IdentifierKind.rfid, nil as Int?),
        ("0a0e9b83", "0A0E9B83", .rfid, nil), ("0a0e9b83_2", "0A0E9B83", .rfid, 2),
        ("00112233445566778899", "00112233445566778899", .rfid, nil),
        ("input_auth", "INPUT_AUTH", .input, nil),
        ("00:1a:2b:3c:4d:5e", "00:1A:2B:3C:4D:5E", .mac, nil), ("00-1A-2B-3C-4D-5E", "00:1A:2B:3C:4D:5E", .mac, nil),
        ("001A2B3C4D5E", "00:1A:2B:3C:4D:5E", .mac, nil),
    ])
    func accepted(text: String, id: String, kind: IdentifierKind, connector: Int?) throws {
        let parsed = try WhitelistEntry.parseIdentifier(text)
        #expect(parsed.id == id && parsed.kind == kind && parsed.connector == connector)
    }

    @Test("identifiers refused with the rule they break", arguments: [
        ("0a0e9b", "4, 7 or 10 bytes"), ("0a0e9b8", "4, 7 or 10 bytes"), ("0a0e9b8311", "4, 7 or 10 bytes"),
        ("0a0e9bzz", "hexadecimal"), ("0a0e9b83_3", "unknown postfix _3"), ("0a0e9b83_", "unknown postfix"),
        ("", "empty"), ("00:1A:2B:3C:4D", "hexadecimal"), ("00:1A:2B:3C:4D:5E_1", "no connector postfix"),
    ])
    func refused(text: String, rule: String) {
        do {
            _ = try WhitelistEntry.parseIdentifier(text)
            Issue.record("\(text) accepted")
        } catch {
            #expect(error.description.contains(rule), "\(error)")
        }
    }

    @Test("list operations: duplicates refused, 1000 entries at most, deleted entries restorable")
    func operations() throws {
        var list = LocalWhitelist()
        try list.add(WhitelistEntry(id: "0A0E9B83", kind: .rfid))
        try list.add(WhitelistEntry(id: "0A0E9B83", kind: .rfid, connector: 1))
        #expect(throws: WhitelistError.duplicate("0a0e9b83")) { try list.add(WhitelistEntry(id: "0a0e9b83", kind: .rfid)) }
        #expect(list.search("9b8").count == 2)
        #expect(list.lookup("0a0e9b83", connector: 1)?.connector == 1)
        #expect(list.lookup("0a0e9b83", connector: 2)?.connector == nil)
        try list.remove("0A0E9B83_1")
        #expect(list.entries.count == 1 && list.deleted.count == 1)
        try list.restore("0A0E9B83_1")
        #expect(list.entries.count == 2 && list.deleted.isEmpty)
        list.removeAll()
        #expect(list.entries.isEmpty && list.deleted.count == 2)
        #expect(throws: WhitelistError.notFound("FFFFFFFF")) { try list.remove("FFFFFFFF") }
        for i in 0..<LocalWhitelist.maximumEntries {
            let hex = String(i, radix: 16, uppercase: true)
            try list.add(WhitelistEntry(id: String(repeating: "0", count: 8 - hex.count) + hex, kind: .rfid))
        }
        #expect(throws: WhitelistError.full(1000)) { try list.add(WhitelistEntry(id: "FFFFFFFF", kind: .rfid)) }
    }

    static let technagonFile = """
        UID,GID,Expiry,Authorization
        aec78085,,,accepted
        ae36959e,FLEET,,accepted
        0488dd2a561d80,,,blocked
        "4b13b318,,2020-01-01T12:00:00,accepted"
        d2006c8e_1,,,accepted
        """

    @Test("Technagon format: header, group, expiry, authorization, Excel quoting; processed lines count the header")
    func technagonImport() throws {
        var list = LocalWhitelist()
        let report = try WhitelistCSV.importCSV(Self.technagonFile, into: &list, mode: .update)
        #expect(report == WhitelistImportReport(format: .technagon, processedLines: 6, added: 5, updated: 0, totalEntries: 5))
        #expect(list.lookup("AE36959E", connector: nil)?.groupID == "FLEET")
        #expect(list.lookup("0488DD2A561D80", connector: nil)?.authorization == .blocked)
        #expect(list.lookup("4B13B318", connector: nil)?.expiry == CivilTime.parse("2020-01-01T12:00:00"))
        #expect(list.lookup("D2006C8E", connector: 1)?.connector == 1)
        let exported = WhitelistCSV.export(list.entries, format: .technagon)
        #expect(exported.hasPrefix("UID,GID,Expiry,Authorization\r\n"))
        #expect(exported.contains("4B13B318,,2020-01-01T12:00:00,accepted\r\n"))
        var again = LocalWhitelist()
        _ = try WhitelistCSV.importCSV(exported, into: &again, mode: .replace)
        #expect(again == list, "round trip")
    }

    @Test("single-column format (seeds/000) round trip, CRLF and a BOM tolerated")
    func singleColumn() throws {
        var list = LocalWhitelist()
        let report = try WhitelistCSV.importCSV("\u{FEFF}D7D7554A\r\nD77E504A\r\nINPUT_AUTH\r\n00:1A:2B:3C:4D:5E\r\n\r\n", into: &list, mode: .update)
        #expect(report.format == .singleColumn && report.processedLines == 4 && report.added == 4)
        let exported = WhitelistCSV.export(list.entries, format: .singleColumn)
        #expect(exported == "D7D7554A\r\nD77E504A\r\nINPUT_AUTH\r\n00:1A:2B:3C:4D:5E\r\n")
        var again = LocalWhitelist()
        _ = try WhitelistCSV.importCSV(exported, into: &again, mode: .update)
        #expect(again.entries == list.entries)
    }

    @Test("update merges, replace replaces")
    func modes() throws {
        var list = LocalWhitelist()
        try list.add(WhitelistEntry(id: "11111111", kind: .rfid))
        try list.add(WhitelistEntry(id: "AEC78085", kind: .rfid, authorization: .blocked))
        var merged = list
        let r = try WhitelistCSV.importCSV(Self.technagonFile, into: &merged, mode: .update)
        #expect(r.added == 4 && r.updated == 1 && merged.entries.count == 6)
        #expect(merged.lookup("AEC78085", connector: nil)?.authorization == .accepted)
        var replaced = list
        _ = try WhitelistCSV.importCSV(Self.technagonFile, into: &replaced, mode: .replace)
        #expect(replaced.entries.count == 5 && replaced.lookup("11111111", connector: nil) == nil)
        #expect(replaced.deleted.map(\.id) == ["11111111"], "replaced entries the file does not bring back are restorable until restart")
    }

    @Test("a file with errors is rejected whole, every bad line listed, the list unchanged")
    func rejected() throws {
        var list = LocalWhitelist()
        try list.add(WhitelistEntry(id: "11111111", kind: .rfid))
        let before = list
        let file = """
            UID,GID,Expiry,Authorization
            aec78085,,,accepted
            aec780,,,accepted
            ae36959e,,2020-13-01T12:00:00,accepted
            ae36959f,,,maybe
            aec78085,,,blocked
            ae369590,,
            """
        do {
            _ = try WhitelistCSV.importCSV(file, into: &list, mode: .replace)
            Issue.record("accepted")
        } catch {
            guard case .importRejected(let lines) = error else { Issue.record("\(error)"); return }
            #expect(lines.map(\.line) == [3, 4, 5, 6, 7])
            #expect(lines[0].reason.contains("4, 7 or 10 bytes"))
            #expect(lines[1].reason.contains("2020-01-01T12:00:00"))
            #expect(lines[2].reason.contains("accepted or blocked"))
            #expect(lines[3].reason.contains("duplicate of line 2"))
            #expect(lines[4].reason.contains("4 columns"))
        }
        #expect(list == before)
    }

    @Test("more than 1000 entries are refused")
    func oversized() {
        var list = LocalWhitelist()
        let file = (0...1000).map { i -> String in
            let hex = String(i, radix: 16, uppercase: true)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined(separator: "\n")
        #expect(throws: WhitelistError.self) { try WhitelistCSV.importCSV(file, into: &list, mode: .update) }
        #expect(list.entries.isEmpty)
    }

    @Test("expiry dates", arguments: [
        ("2020-01-01T12:00:00", 1_577_880_000.0 as Double?), ("2038-12-31T23:59:59", 2_177_452_799), ("2024-02-29T00:00:00", 1_709_164_800),
        ("2023-02-29T00:00:00", nil), ("2020-01-01 12:00:00", nil), ("2020-1-01T12:00:00", nil), ("2020-01-01T24:00:00", nil), ("yesterday", nil),
    ])
    func civil(text: String, seconds: Double?) {
        #expect(CivilTime.parse(text)?.timeIntervalSince1970 == seconds)
        if let seconds { #expect(CivilTime.format(Date(timeIntervalSince1970: seconds)) == text) }
    }
}
