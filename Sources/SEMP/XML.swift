/// The small XML the SEMP interface needs, without FoundationXML (which would link libxml2 into an appliance binary
/// that must stay small): an element tree, a writer that escapes, and a strict parser.
///
/// The parser reads XML 1.0 (W3C Recommendation, fifth edition) without document type declarations: a `<!DOCTYPE`
/// is refused, so no entity can expand (no "billion laughs", no external entities). Namespaces follow "Namespaces in
/// XML 1.0" (third edition): every element carries the URI its prefix (or the default namespace) is bound to.
/// Bounds — bytes, depth, elements — are checked while parsing, so a hostile body costs at most its size.
public struct XMLElement: Sendable, Equatable {
    /// The local name (without prefix).
    public var name: String
    /// The namespace URI the element's prefix is bound to; nil when none is.
    public var namespace: String?
    public var attributes: [String: String]
    public var children: [XMLElement]
    /// The element's character data (text of mixed content joined; whitespace kept).
    public var text: String

    public init(_ name: String, namespace: String? = nil, attributes: [String: String] = [:], children: [XMLElement] = [], text: String = "") {
        self.name = name; self.namespace = namespace; self.attributes = attributes; self.children = children; self.text = text
    }

    /// A leaf element with text.
    public static func leaf(_ name: String, _ text: String) -> XMLElement { XMLElement(name, text: text) }

    /// The first child with this local name.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// Every child with this local name, in document order.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The trimmed text of the first child with this local name.
    public func value(_ name: String) -> String? { child(name).map { XMLText.trimmed($0.text) } }
}

/// Writes an element tree as an XML document (UTF-8 declaration, no indentation).
public enum XMLWriter {
    /// `root` as a document; `defaultNamespace` is declared on the root element.
    public static func document(_ root: XMLElement, defaultNamespace: String? = nil, extraNamespaces: [(prefix: String, uri: String)] = []) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        var attributes = root.attributes
        if let defaultNamespace { attributes["xmlns"] = defaultNamespace }
        for ns in extraNamespaces { attributes["xmlns:\(ns.prefix)"] = ns.uri }
        write(XMLElement(root.name, attributes: attributes, children: root.children, text: root.text), into: &out)
        out += "\n"
        return out
    }

    static func write(_ e: XMLElement, into out: inout String) {
        out += "<" + e.name
        for key in e.attributes.keys.sorted() { out += " \(key)=\"\(escape(e.attributes[key]!, attribute: true))\"" }
        if e.children.isEmpty && e.text.isEmpty { out += "/>"; return }
        out += ">" + escape(e.text, attribute: false)
        for c in e.children { write(c, into: &out) }
        out += "</\(e.name)>"
    }

    /// Escapes the five predefined entities' characters (XML 1.0 §2.4) and, in attributes, line breaks and tabs.
    public static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// Why a document was refused; the text names the place (byte offset) and what was expected.
public struct XMLError: Error, Equatable, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}

enum XMLText {
    static func trimmed(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars[...]
        while let f = scalars.first, isSpace(f) { scalars.removeFirst() }
        while let l = scalars.last, isSpace(l) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
}
