/// Log text with every control character made visible.
///
/// Log messages name values that come from outside — idTags and actions from the backend, charger ids, frame text,
/// file names — and a value with a line feed or a carriage return could forge a log line of its own ("log forging",
/// CWE-117; issue 20 item 11). Each control character (C0, DEL, C1), the Unicode line and paragraph separators and
/// the bidirectional overrides (which can reorder what a reader sees, CVE-2021-42574) is written as `\n`, `\r`, `\t`
/// or `\u{XX}`; a backslash stays as it is.
public enum LogText {
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else { out.unicodeScalars.append(scalar); continue }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
