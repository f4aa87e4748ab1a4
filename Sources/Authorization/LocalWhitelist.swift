#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Whether a list entry may charge.
///
/// - SeeAlso: seeds/002 §1.7 CSV column Authorization: `accepted` or `blocked`.
public enum EntryAuthorization: String, Sendable, Codable, CaseIterable {
    case accepted
    case blocked
}

/// What kind of identifier a whitelist entry holds.
public enum IdentifierKind: String, Sendable, Codable {
    /// An RFID UID of 4, 7 or 10 bytes.
    case rfid
    /// `INPUT_AUTH`: authorization by the digital input.
    case input
    /// A vehicle MAC address (EVCCID) for Autocharge.
    case mac
}

/// One entry of the local whitelist (fixed local list).
///
/// - SeeAlso: seeds/004 §5.5; seeds/000 "Eintrag hinzufügen" ("4, 7 oder 10 Byte lange Hexadezimalzahl +
///   optionaler Anhang _1 oder _2, Spezialbezeichner INPUT_AUTH oder gültige MAC-Adresse"); seeds/002 §1.7
///   CSV `UID,GID,Expiry,Authorization`.
public struct WhitelistEntry: Sendable, Codable, Equatable {
    /// The identifier without postfix, normalized: RFID hex and MAC in upper case (matching is
    /// case-insensitive anyway), MAC with colons.
    public var id: String
    public var kind: IdentifierKind
    /// Connector the entry is restricted to (postfix `_1` / `_2`), or nil for every connector.
    public var connector: Int?
    /// Group identifier (OCPP parentIdTag); identifiers of one group may stop each other's sessions.
    public var groupID: String?
    public var expiry: Date?
    public var authorization: EntryAuthorization

    public init(id: String, kind: IdentifierKind, connector: Int? = nil, groupID: String? = nil, expiry: Date? = nil,
                authorization: EntryAuthorization = .accepted) {
        self.id = id; self.kind = kind; self.connector = connector; self.groupID = groupID; self.expiry = expiry
        self.authorization = authorization
    }

    /// The identifier as written in lists and exports, with its connector postfix.
    public var displayID: String { id + (connector.map { "_\($0)" } ?? "") }

    /// Parses an identifier as an operator types it: RFID hex (4, 7 or 10 bytes) with optional `_1`/`_2`,
    /// `INPUT_AUTH`, or a MAC address (`00:1A:2B:3C:4D:5E`, `00-1A-…` or 12 hex digits).
    public static func parseIdentifier(_ raw: String) throws(WhitelistError) -> (id: String, kind: IdentifierKind, connector: Int?) {
        let text = raw.trimmedWhitespace
        guard !text.isEmpty else { throw .invalidID(raw, "the identifier is empty") }
        if text.uppercased() == inputAuthIdentifier { return (inputAuthIdentifier, .input, nil) }
        var body = Substring(text)
        var connector: Int?
        if let underscore = text.lastIndex(of: "_") {
            let postfix = text[text.index(after: underscore)...]
            guard postfix == "1" || postfix == "2" else {
                throw .invalidID(raw, "unknown postfix _\(postfix); allowed are _1 (connector 1) and _2 (connector 2)")
            }
            connector = Int(postfix)
            body = text[..<underscore]
        }
        let separators = body.filter { $0 == ":" || $0 == "-" }.count
        if separators == 5 || (separators == 0 && body.count == 12) {
            guard let vehicle = VehicleIdentifier(String(body)) else {
                throw .invalidID(raw, "a MAC address has six hexadecimal pairs, e.g. 00:1A:2B:3C:4D:5E")
            }
            guard connector == nil else { throw .invalidID(raw, "a MAC address takes no connector postfix") }
            return (vehicle.macAddress, .mac, nil)
        }
        guard body.allSatisfy(\.isHexDigit) else {
            throw .invalidID(raw, "an RFID UID is hexadecimal (0-9, A-F)")
        }
        guard body.count % 2 == 0, [4, 7, 10].contains(body.count / 2) else {
            let bytes = body.count % 2 == 0 ? "\(body.count / 2) bytes" : "\(body.count) hex digits"
            throw .invalidID(raw, "wrong length: \(bytes); an RFID UID has 4, 7 or 10 bytes (8, 14 or 20 hex digits)")
        }
        return (body.uppercased(), .rfid, connector)
    }

    /// Whether the entry matches a presented identifier on `connector`.
    public func matches(_ idTag: String, connector n: Int?) -> Bool {
        guard sameIdentifier(id, idTag) else { return false }
        if let connector, let n { return connector == n }
        return true
    }
}

/// A whitelist operation that was refused; the message names the identifier or line and the rule.
public enum WhitelistError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidID(String, String)
    case duplicate(String)
    case full(Int)
    case notFound(String)
    /// A CSV import with errors; nothing was imported.
    case importRejected([CSVLineError])

    public var description: String {
        switch self {
        case .invalidID(let id, let why): "'\(id)': \(why)"
        case .duplicate(let id): "'\(id)' is already in the whitelist"
        case .full(let max): "the local whitelist holds at most \(max) entries"
        case .notFound(let id): "'\(id)' is not in the whitelist"
        case .importRejected(let errors):
            "import rejected, nothing was changed; \(errors.count) bad line(s): " + errors.prefix(20).map(\.description).joined(separator: "; ")
        }
    }
}

/// One bad line of a CSV import.
public struct CSVLineError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// 1-based line number, the header counted.
    public var line: Int
    public var value: String
    public var reason: String

    public var description: String { "line \(line): '\(value)': \(reason)" }
}

/// The local whitelist: at most 1000 entries, unique identifiers (per connector postfix), with entries
/// deleted since the last restart kept restorable.
///
/// - SeeAlso: seeds/002 §1.7 "Insgesamt sind bis zu 1000 Einträge möglich", "Hide deleted entries … nur solange
///   kein Neustart … durchgeführt wurde".
public struct LocalWhitelist: Sendable, Equatable {
    public static let maximumEntries = 1000

    public private(set) var entries: [WhitelistEntry]
    /// Entries deleted since the station started; restorable until the next restart.
    public private(set) var deleted: [WhitelistEntry] = []

    public init(entries: [WhitelistEntry] = []) { self.entries = entries }

    private func index(of displayID: String) -> Int? {
        entries.firstIndex { sameIdentifier($0.displayID, displayID) }
    }

    /// Entries whose identifier contains `text` (case-insensitive).
    public func search(_ text: String) -> [WhitelistEntry] {
        let t = text.lowercased()
        return t.isEmpty ? entries : entries.filter { $0.displayID.lowercased().contains(t) }
    }

    /// Adds an entry; refuses duplicates and a full list.
    public mutating func add(_ entry: WhitelistEntry) throws(WhitelistError) {
        guard index(of: entry.displayID) == nil else { throw .duplicate(entry.displayID) }
        guard entries.count < Self.maximumEntries else { throw .full(Self.maximumEntries) }
        entries.append(entry)
        deleted.removeAll { sameIdentifier($0.displayID, entry.displayID) }
    }

    /// Replaces the entry with the same identifier.
    public mutating func update(_ entry: WhitelistEntry) throws(WhitelistError) {
        guard let i = index(of: entry.displayID) else { throw .notFound(entry.displayID) }
        entries[i] = entry
    }

    /// Deletes one entry (restorable until restart).
    @discardableResult
    public mutating func remove(_ displayID: String) throws(WhitelistError) -> WhitelistEntry {
        guard let i = index(of: displayID) else { throw .notFound(displayID) }
        let e = entries.remove(at: i)
        deleted.append(e)
        return e
    }

    /// Deletes every entry (restorable until restart).
    public mutating func removeAll() {
        deleted += entries
        entries.removeAll()
    }

    /// Restores a deleted entry.
    public mutating func restore(_ displayID: String) throws(WhitelistError) {
        guard let i = deleted.firstIndex(where: { sameIdentifier($0.displayID, displayID) }) else { throw .notFound(displayID) }
        try add(deleted[i])
    }

    /// The entry that decides about `idTag` on `connector`: a connector-specific entry wins over a general one.
    public func lookup(_ idTag: String, connector: Int?) -> WhitelistEntry? {
        let candidates = entries.filter { sameIdentifier($0.id, idTag) }
        if let connector, let specific = candidates.first(where: { $0.connector == connector }) { return specific }
        return candidates.first { $0.connector == nil } ?? (connector == nil ? candidates.first : nil)
    }

    /// Whether an entry exists for `idTag` for another connector only (to explain a rejection).
    public func restrictedElsewhere(_ idTag: String, connector: Int) -> Int? {
        entries.first { sameIdentifier($0.id, idTag) && $0.connector != nil && $0.connector != connector }?.connector
    }
}

/// A whitelist entry as the API, forms and the CLI give it.
public struct WhitelistEntryInput: Sendable, Codable, Equatable {
    /// Identifier with optional postfix, `INPUT_AUTH` or a MAC address.
    public var id: String
    public var groupID: String?
    /// `YYYY-MM-DDTHH:MM:SS` (UTC).
    public var expiry: String?
    /// `accepted` (default) or `blocked`.
    public var authorization: String?

    public init(id: String, groupID: String? = nil, expiry: String? = nil, authorization: String? = nil) {
        self.id = id; self.groupID = groupID; self.expiry = expiry; self.authorization = authorization
    }

    /// Validates every field; the error names the field, the value and the rule.
    public func entry() throws(WhitelistError) -> WhitelistEntry {
        let (id, kind, connector) = try WhitelistEntry.parseIdentifier(self.id)
        var group: String?
        if let g = groupID?.trimmedWhitespace, !g.isEmpty {
            guard g.count <= 20 else { throw .invalidID(g, "groupID has at most 20 characters") }
            group = g
        }
        var expiryDate: Date?
        if let x = expiry?.trimmedWhitespace, !x.isEmpty {
            guard let d = CivilTime.parse(x) else { throw .invalidID(x, "expiry must look like 2020-01-01T12:00:00") }
            expiryDate = d
        }
        var auth = EntryAuthorization.accepted
        if let a = authorization?.trimmedWhitespace, !a.isEmpty {
            guard let parsed = EntryAuthorization(rawValue: a.lowercased()) else {
                throw .invalidID(a, "authorization must be accepted or blocked")
            }
            auth = parsed
        }
        return WhitelistEntry(id: id, kind: kind, connector: connector, groupID: group, expiry: expiryDate, authorization: auth)
    }
}

/// A whitelist entry as the API shows it.
public struct WhitelistEntryView: Sendable, Codable, Equatable {
    /// Identifier with its connector postfix.
    public var id: String
    public var kind: IdentifierKind
    public var connector: Int?
    public var groupID: String?
    /// `YYYY-MM-DDTHH:MM:SS` (UTC).
    public var expiry: String?
    public var authorization: EntryAuthorization

    public init(_ e: WhitelistEntry) {
        id = e.displayID; kind = e.kind; connector = e.connector; groupID = e.groupID
        expiry = e.expiry.map(CivilTime.format); authorization = e.authorization
    }
}
