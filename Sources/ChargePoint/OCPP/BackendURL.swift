/// The connection URL of the backend from the BackendURL parameter and the ChargeBoxIdentity (issue 29 item 4).
///
/// OCPP-J 1.6 §3.1.1 has the charge point connect to `<central system URL>/<charge point identity>`, and that is what a
/// BackendURL without a placeholder gives, as before. Central systems route differently, though: some only serve
/// `…/<identity>/` with a trailing slash (the PyPI central system `arthexis` answers HTTP 500 without it), others want
/// the identity in the middle of the path (`wss://cs.example.com/ocpp/<identity>/ws`). So BackendURL may say where the
/// identity goes with the placeholder `{ChargeBoxIdentity}` (or its short form `{id}`), and a trailing slash is kept:
///
/// | BackendURL | connection URL (identity CK-1) |
/// |---|---|
/// | `ws://cs:9000/ocpp` | `ws://cs:9000/ocpp/CK-1` (as before) |
/// | `ws://cs:9000/ocpp/` | `ws://cs:9000/ocpp/CK-1/` (the trailing slash is kept) |
/// | `ws://cs:9000/ocpp/{ChargeBoxIdentity}/ws` | `ws://cs:9000/ocpp/CK-1/ws` |
/// | `ws://cs:9000/{id}/` | `ws://cs:9000/CK-1/` |
///
/// The identity is percent-encoded as a path segment (RFC 3986 unreserved characters stay, everything else is `%XX`
/// of its UTF-8 bytes). Pure: no Foundation URL parsing, so the web form, the CLI and the connection agree.
public enum BackendURL {
    /// The placeholders that stand for the ChargeBoxIdentity.
    public static let placeholders = ["{ChargeBoxIdentity}", "{id}"]

    /// The URL the station connects to.
    public static func connectionURL(_ backendURL: String, identity: String) -> String {
        let escaped = escape(identity)
        for placeholder in placeholders {
            if let at = find(placeholder, in: backendURL) { return String(backendURL[..<at.lowerBound]) + escaped + String(backendURL[at.upperBound...]) }
        }
        var base = Substring(backendURL)
        let trailingSlash = base.hasSuffix("/")
        while base.hasSuffix("/") { base.removeLast() }
        return String(base) + "/" + escaped + (trailingSlash ? "/" : "")
    }

    /// What is wrong with a BackendURL's placeholder, or nil: one placeholder at most, spelled as one of
    /// ``placeholders``, in the path or query (not in the host, the port or a fragment), and no other braces. The
    /// scheme, host and port are checked by the registry's URL type first.
    public static func problem(_ backendURL: String) -> String? {
        let allowed = "a ws:// or wss:// URL; {ChargeBoxIdentity} or {id} may stand once in its path where the identity goes"
        var rest = Substring(backendURL)
        var found: [String] = []
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else {
                return "\(allowed) (a brace without its partner)"
            }
            let name = String(rest[open...close])
            guard placeholders.contains(name) else { return "\(allowed) (unknown placeholder \(name))" }
            found.append(name)
            rest = rest[rest.index(after: close)...]
        }
        guard found.count <= 1 else { return "\(allowed) (the placeholder stands \(found.count) times)" }
        guard let placeholder = found.first, let at = find(placeholder, in: backendURL) else { return nil }
        // The authority ends at the first "/", "?" or "#" after "scheme://".
        guard let schemeEnd = find("://", in: backendURL) else { return allowed }
        let afterScheme = backendURL[schemeEnd.upperBound...]
        let authorityEnd: String.Index = afterScheme.firstIndex { (c: Character) in c == "/" || c == "?" || c == "#" } ?? backendURL.endIndex
        if at.lowerBound < authorityEnd { return "\(allowed) (not in the host or port)" }
        if let fragment = backendURL.firstIndex(of: "#"), fragment < at.lowerBound { return "\(allowed) (not after #)" }
        return nil
    }

    /// Where `needle` first stands in `text`.
    static func find(_ needle: String, in text: String) -> Range<String.Index>? {
        var start = text.startIndex
        while start < text.endIndex {
            if text[start...].hasPrefix(needle) { return start..<text.index(start, offsetBy: needle.count) }
            start = text.index(after: start)
        }
        return nil
    }

    /// Percent-encodes everything but the RFC 3986 unreserved characters.
    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
