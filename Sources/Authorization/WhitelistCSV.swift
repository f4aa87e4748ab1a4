#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import OCPP16

/// The two CSV formats of the local whitelist.
public enum WhitelistCSVFormat: String, Sendable, Codable, CaseIterable {
    /// One identifier per line, no header (seeds/000 "Liste importieren": all IDs in one column).
    case singleColumn
    /// Header `UID,GID,Expiry,Authorization`, rows like `4b13b318,,2020-01-01T12:00:00,accepted`
    /// (seeds/002 §1.7).
    case technagon
}

/// How an import treats the existing list.
public enum WhitelistImportMode: String, Sendable, Codable, CaseIterable {
    /// Append new entries, update existing ones with the same identifier (seeds/002 "Import (Update)").
    case update
    /// Replace the whole list (seeds/002 "Import (Replace)").
    case replace
}

/// The result of an accepted import.
public struct WhitelistImportReport: Sendable, Codable, Equatable {
    public var format: WhitelistCSVFormat
    /// Lines processed, the header included (seeds/002: "wie viele Zeilen … bearbeitet wurden (der Header wird
    /// hier mitgezählt)").
    public var processedLines: Int
    public var added: Int
    public var updated: Int
    public var totalEntries: Int
}

/// Reading and writing the whitelist as CSV. An import with any bad line is rejected whole.
public enum WhitelistCSV {
    public static let technagonHeader = "UID,GID,Expiry,Authorization"
    /// Largest accepted file, in bytes.
    public static let maximumBytes = 512 * 1024

    /// Writes the list in `format`.
    public static func export(_ entries: [WhitelistEntry], format: WhitelistCSVFormat) -> String {
        switch format {
        case .singleColumn:
            return entries.map { CSVCell.field($0.displayID) + "\r\n" }.joined()
        case .technagon:
            var out = technagonHeader + "\r\n"
            for e in entries {
                let expiry = e.expiry.map(CivilTime.format) ?? ""
                out += "\(CSVCell.field(e.displayID)),\(CSVCell.field(e.groupID ?? "")),\(expiry),\(e.authorization.rawValue)\r\n"
            }
            return out
        }
    }

    /// Parses a CSV file into entries, detecting the format by its header. Throws with every bad line.
    public static func parse(_ text: String) throws(WhitelistError) -> (WhitelistCSVFormat, [WhitelistEntry], processedLines: Int) {
        guard text.utf8.count <= maximumBytes else {
            throw .importRejected([CSVLineError(line: 0, value: "\(text.utf8.count) bytes", reason: "file larger than \(maximumBytes) bytes")])
        }
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        var lines = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { String($0).trimmingTrailingCR }
        while let last = lines.last, last.trimmedWhitespace.isEmpty { lines.removeLast() }
        let first = lines.first.map(unquote) ?? ""
        let format: WhitelistCSVFormat = first.replacingSpaces.lowercased() == technagonHeader.lowercased() ? .technagon : .singleColumn
        var entries: [WhitelistEntry] = []
        var errors: [CSVLineError] = []
        var seen: [String: Int] = [:]
        for (i, raw) in lines.enumerated() {
            let number = i + 1
            let line = unquote(raw)
            if format == .technagon && i == 0 { continue }
            if line.trimmedWhitespace.isEmpty { continue }
            if format == .singleColumn && i == 0 && ["id", "uid"].contains(line.trimmedWhitespace.lowercased()) { continue }
            do {
                let entry = try format == .technagon ? technagonRow(line) : singleColumnRow(line)
                if let previous = seen[entry.displayID.lowercased()] {
                    errors.append(CSVLineError(line: number, value: entry.displayID, reason: "duplicate of line \(previous)"))
                } else {
                    seen[entry.displayID.lowercased()] = number
                    entries.append(entry)
                }
            } catch {
                if case .invalidID(let value, let reason) = error {
                    errors.append(CSVLineError(line: number, value: value, reason: reason))
                } else {
                    errors.append(CSVLineError(line: number, value: line, reason: error.description))
                }
            }
        }
        if entries.count > LocalWhitelist.maximumEntries {
            errors.append(CSVLineError(line: lines.count, value: "\(entries.count) entries",
                                       reason: "the local whitelist holds at most \(LocalWhitelist.maximumEntries) entries"))
        }
        guard errors.isEmpty else { throw .importRejected(errors) }
        return (format, entries, lines.count)
    }

    /// Imports `text` into `list`. Nothing changes unless every line is valid and the result fits.
    public static func importCSV(_ text: String, into list: inout LocalWhitelist, mode: WhitelistImportMode) throws(WhitelistError) -> WhitelistImportReport {
        let (format, entries, processed) = try parse(text)
        var result = mode == .replace ? LocalWhitelist() : LocalWhitelist(entries: list.entries)
        var added = 0, updated = 0
        for e in entries {
            if result.entries.contains(where: { sameIdentifier($0.displayID, e.displayID) }) {
                try result.update(e); updated += 1
            } else if result.entries.count >= LocalWhitelist.maximumEntries {
                throw .importRejected([CSVLineError(line: processed, value: "\(result.entries.count + entries.count - added - updated) entries",
                                                    reason: "the list would exceed \(LocalWhitelist.maximumEntries) entries")])
            } else {
                try result.add(e); added += 1
            }
        }
        if mode == .replace { list.removeAll() }
        for e in result.entries {
            if (try? list.update(e)) == nil { try list.add(e) }
        }
        return WhitelistImportReport(format: format, processedLines: processed, added: added, updated: updated, totalEntries: list.entries.count)
    }

    private static func singleColumnRow(_ line: String) throws(WhitelistError) -> WhitelistEntry {
        let cell = line.split(separator: ",", omittingEmptySubsequences: false).first.map(String.init) ?? line
        let (id, kind, connector) = try WhitelistEntry.parseIdentifier(CSVCell.unneutralised(cell))
        return WhitelistEntry(id: id, kind: kind, connector: connector)
    }

    private static func technagonRow(_ line: String) throws(WhitelistError) -> WhitelistEntry {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { CSVCell.unneutralised(String($0).trimmedWhitespace) }
        guard cells.count == 4 else {
            throw .invalidID(line, "expected 4 columns UID,GID,Expiry,Authorization, found \(cells.count)")
        }
        let (id, kind, connector) = try WhitelistEntry.parseIdentifier(cells[0])
        let group = cells[1].isEmpty ? nil : cells[1]
        if let group, group.count > 20 { throw .invalidID(group, "GID has at most 20 characters") }
        var expiry: Date?
        if !cells[2].isEmpty {
            guard let d = CivilTime.parse(cells[2]) else {
                throw .invalidID(cells[2], "Expiry must look like 2020-01-01T12:00:00")
            }
            expiry = d
        }
        guard let auth = EntryAuthorization(rawValue: cells[3].lowercased()) else {
            throw .invalidID(cells[3], "Authorization must be accepted or blocked")
        }
        return WhitelistEntry(id: id, kind: kind, connector: connector, groupID: group, expiry: expiry, authorization: auth)
    }

    /// Excel writes a row typed into one cell as one quoted field: `"aec78085,,,accepted"`.
    private static func unquote(_ line: String) -> String {
        let t = line.trimmedWhitespace
        if t.count >= 2, t.hasPrefix("\""), t.hasSuffix("\"") { return String(t.dropFirst().dropLast()) }
        return line
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, the expiry format of seeds/002, computed without calendars.
public enum CivilTime {
    /// Parses `2020-01-01T12:00:00` (a trailing `Z` is accepted); nil if malformed or out of range.
    public static func parse(_ text: String) -> Date? {
        var t = Substring(text)
        if t.hasSuffix("Z") { t = t.dropLast() }
        let parts = t.split(separator: "T")
        guard parts.count == 2 else { return nil }
        let d = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        let c = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard d.count == 3, c.count == 3, d[0].count == 4, d[1].count == 2, d[2].count == 2, c.allSatisfy({ $0.count == 2 }),
              let y = Int(d[0]), let m = Int(d[1]), let day = Int(d[2]), let hh = Int(c[0]), let mm = Int(c[1]), let ss = Int(c[2]),
              (1...12).contains(m), (1...OCPPDate.daysIn(month: m, year: y)).contains(day), (0...23).contains(hh), (0...59).contains(mm),
              (0...59).contains(ss) else { return nil }
        let days = OCPPDate.days(fromCivil: y, m, day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hh * 3600 + mm * 60 + ss))
    }

    /// Formats a date as `2020-01-01T12:00:00` (UTC, whole seconds).
    public static func format(_ date: Date) -> String {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = Int((Double(total) / 86_400).rounded(.down))
        let secs = total - days * 86_400
        let (y, m, d) = OCPPDate.civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(y).count < 4 ? String(repeating: "0", count: 4 - String(y).count) + String(y) : String(y)
        return "\(year)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))"
    }
}

extension String {
    var trimmingTrailingCR: String { hasSuffix("\r") ? String(dropLast()) : self }
    var replacingSpaces: String { String(filter { $0 != " " }) }
}
