/// A strict, bounded XML 1.0 parser for the documents SEMP exchanges (see ``XMLElement``): elements, attributes,
/// namespaces, character data with the predefined and numeric character references (XML 1.0 §4.1, §4.6), CDATA
/// sections, comments and processing instructions. Document type declarations are refused.
public struct XMLParser {
    /// The most a document may hold; the SEMP messages ChargeKit reads are a few hundred bytes.
    public struct Limits: Sendable {
        public var maxBytes = 65_536
        public var maxDepth = 16
        public var maxElements = 2_000
        public init() {}
    }

    /// Parses `bytes` into the root element.
    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(XMLError) -> XMLElement {
        guard bytes.count <= limits.maxBytes else { throw XMLError("document of \(bytes.count) bytes is larger than \(limits.maxBytes)") }
        var p = XMLParser(bytes: bytes, limits: limits)
        return try p.document()
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(XMLError) -> XMLElement {
        try parse(Array(text.utf8), limits: limits)
    }

    private let bytes: [UInt8]
    private let limits: Limits
    private var i = 0
    private var elements = 0

    private init(bytes: [UInt8], limits: Limits) { self.bytes = bytes; self.limits = limits }

    private mutating func document() throws(XMLError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }  // UTF-8 byte order mark
        try misc()
        guard peek("<"), i + 1 < bytes.count, isNameStart(bytes[i + 1]) else { throw fail("expected the root element") }
        let root = try element(depth: 1, scope: ["xml": "http://www.w3.org/XML/1998/namespace"])
        try misc()
        guard i == bytes.count else { throw fail("content after the root element") }
        return root
    }

    /// Whitespace, comments and processing instructions (the prolog and what follows the root).
    private mutating func misc() throws(XMLError) {
        while i < bytes.count {
            if isSpace(bytes[i]) { i += 1 }
            else if peek("<?") { try skip(past: "?>", what: "processing instruction") }
            else if peek("<!--") { try skip(past: "-->", what: "comment") }
            else if peek("<!") { throw fail("document type declarations are not accepted") }
            else { return }
        }
    }

    private mutating func element(depth: Int, scope: [String: String]) throws(XMLError) -> XMLElement {
        guard depth <= limits.maxDepth else { throw fail("elements nested deeper than \(limits.maxDepth)") }
        elements += 1
        guard elements <= limits.maxElements else { throw fail("more than \(limits.maxElements) elements") }
        i += 1  // "<"
        let qname = try name()
        var raw: [(String, String)] = []
        var selfClosing = false
        while true {
            let hadSpace = skipSpace()
            guard i < bytes.count else { throw fail("unterminated start tag <\(qname)>") }
            if peek("/>") { i += 2; selfClosing = true; break }
            if peek(">") { i += 1; break }
            guard hadSpace else { throw fail("expected whitespace before an attribute in <\(qname)>") }
            let attr = try name()
            skipSpace()
            guard peek("=") else { throw fail("expected '=' after attribute \(attr)") }
            i += 1
            skipSpace()
            let value = try quoted()
            guard !raw.contains(where: { $0.0 == attr }) else { throw fail("attribute \(attr) given twice in <\(qname)>") }
            raw.append((attr, value))
        }
        var scope = scope
        for (k, v) in raw {
            if k == "xmlns" { scope[""] = v }
            else if k.hasPrefix("xmlns:") { scope[String(k.dropFirst(6))] = v }
        }
        let (prefix, local) = split(qname)
        guard let namespace = try resolve(prefix, scope: scope, in: qname) else { throw fail("unbound prefix in <\(qname)>") }
        var attributes: [String: String] = [:]
        for (k, v) in raw where k != "xmlns" && !k.hasPrefix("xmlns:") { attributes[split(k).local] = v }
        var result = XMLElement(local, namespace: namespace.isEmpty ? nil : namespace, attributes: attributes)
        if selfClosing { return result }
        var text: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("<\(qname)> is not closed") }
            if peek("</") {
                i += 2
                let closing = try name()
                skipSpace()
                guard closing == qname, peek(">") else { throw fail("expected </\(qname)>, found </\(closing)") }
                i += 1
                break
            } else if peek("<!--") { try skip(past: "-->", what: "comment") }
            else if peek("<![CDATA[") {
                i += 9
                guard let end = find("]]>") else { throw fail("unterminated CDATA section") }
                text += bytes[i..<end]; i = end + 3
            } else if peek("<?") { try skip(past: "?>", what: "processing instruction") }
            else if peek("<!") { throw fail("document type declarations are not accepted") }
            else if peek("<") { result.children.append(try element(depth: depth + 1, scope: scope)) }
            else if peek("&") { text += try reference() }
            else { text.append(bytes[i]); i += 1 }
        }
        guard let s = String(validating: text, as: UTF8.self) else { throw fail("text of <\(qname)> is not UTF-8") }
        result.text = s
        return result
    }

    private func resolve(_ prefix: String?, scope: [String: String], in qname: String) throws(XMLError) -> String? {
        guard let prefix else { return scope[""] ?? "" }
        return scope[prefix]
    }

    private func split(_ qname: String) -> (prefix: String?, local: String) {
        guard let colon = qname.firstIndex(of: ":") else { return (nil, qname) }
        return (String(qname[..<colon]), String(qname[qname.index(after: colon)...]))
    }

    private mutating func name() throws(XMLError) -> String {
        let start = i
        guard i < bytes.count, isNameStart(bytes[i]) else { throw fail("expected a name") }
        while i < bytes.count, isNameChar(bytes[i]) { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func quoted() throws(XMLError) -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { throw fail("expected a quoted value") }
        let quote = bytes[i]
        i += 1
        var value: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated attribute value") }
            let b = bytes[i]
            if b == quote { i += 1; break }
            if b == UInt8(ascii: "<") { throw fail("'<' in an attribute value") }
            if b == UInt8(ascii: "&") { value += try reference() } else { value.append(b); i += 1 }
        }
        guard let s = String(validating: value, as: UTF8.self) else { throw fail("attribute value is not UTF-8") }
        return s
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#n;` `&#xh;`; any other entity is unknown without a DTD.
    private mutating func reference() throws(XMLError) -> [UInt8] {
        guard let end = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("unterminated character reference") }
        let body = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
        i = end + 1
        switch body {
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "amp": return [UInt8(ascii: "&")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            var code: UInt32?
            if body.hasPrefix("#x") { code = UInt32(body.dropFirst(2), radix: 16) }
            else if body.hasPrefix("#") { code = UInt32(body.dropFirst(), radix: 10) }
            guard let code, let scalar = Unicode.Scalar(code), code != 0 else { throw fail("unknown entity &\(body);") }
            return Array(String(Character(scalar)).utf8)
        }
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = i
        while i < bytes.count, isSpace(bytes[i]) { i += 1 }
        return i > start
    }

    private mutating func skip(past marker: String, what: String) throws(XMLError) {
        guard let end = find(marker) else { throw fail("unterminated \(what)") }
        i = end + marker.utf8.count
    }

    private func find(_ marker: String) -> Int? {
        let m = Array(marker.utf8)
        var j = i
        while j + m.count <= bytes.count {
            if bytes[j] == m[0] && bytes[j..<(j + m.count)].elementsEqual(m) { return j }
            j += 1
        }
        return nil
    }

    private func peek(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { buf in bytes[i..<(i + n)].elementsEqual(buf) }
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    private func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b >= 0x80
    }
    private func isNameChar(_ b: UInt8) -> Bool {
        isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    private func fail(_ what: String) -> XMLError { XMLError("\(what) (at byte \(i))") }
}
