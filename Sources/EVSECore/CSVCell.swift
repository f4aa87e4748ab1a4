/// One text cell of an exported CSV file (history, whitelist, diagnostics), safe to open in a spreadsheet.
///
/// Identifiers come from outside: a backend's RemoteStartTransaction or SendLocalList names any idTag (CiString20), and
/// group ids are free text. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
/// formula by Excel, LibreOffice and Google Sheets (CSV injection), so such a cell gets a leading `'`, as the OWASP
/// "CSV Injection" page recommends; cells with a comma, a quote or a line break are quoted (RFC 4180 §2). The
/// whitelist import takes the `'` off again (``unneutralised(_:)``), so an export imports unchanged.
public enum CSVCell {
    /// The characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// `text` as a CSV cell: neutralised and quoted where needed.
    public static func field(_ text: String) -> String {
        var s = text
        if let first = s.first, formulaStarts.contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacing("\"", with: "\"\"") + "\""
    }

    /// A cell read back from our own export: the `'` that ``field(_:)`` put before a formula character is removed.
    public static func unneutralised(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let second = cell.dropFirst().first, formulaStarts.contains(second) else { return cell }
        return String(cell.dropFirst())
    }
}
