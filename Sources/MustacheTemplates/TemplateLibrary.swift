import Synchronization

/// A set of templates by name, which include one another as partials (`{{>name}}`, partials.yml). Built once: every
/// template is parsed and every partial it names must be in the set, so that a wrong template stops the start, naming
/// the template and the position, and never a page in use.
public struct TemplateLibrary: Sendable {
    let templates: [String: Template]
    /// The partials included with an indentation, parsed again with it (key: `Self.key(name, indent)`).
    let indented: [String: Template]

    /// Parses `texts` (template name → template text).
    public init(texts: [String: String]) throws(TemplateError) {
        var templates: [String: Template] = [:]
        for (name, text) in texts { templates[name] = try Template(text, name: name) }
        try self.init(templates)
    }

    public init(_ templates: [String: Template]) throws(TemplateError) {
        for (name, template) in templates.sorted(by: { $0.key < $1.key }) {
            if let (missing, at) = template.partials.sorted(by: { $0.key < $1.key }).first(where: { templates[$0.key] == nil }) {
                throw TemplateError(template: name, line: at.line, column: at.column, message: "the partial \(missing) is not a template of the set")
            }
        }
        self.templates = templates
        // partials.yml "Standalone Indentation": "each line of the partial should be indented before rendering" — so
        // the partial is parsed again from its text with the indentation in front of each line (an empty line keeps
        // none), which also indents the partials it includes. A partial that includes itself stops growing after
        // `maximumIndentedDepth` levels and is included as it is from there.
        var indented: [String: Template] = [:]
        var work: [(Template, depth: Int)] = templates.values.map { ($0, 0) }
        while let (template, depth) = work.popLast() {
            for (name, indent) in Self.indentedPartials(template.nodes) where depth < Self.maximumIndentedDepth {
                let key = Self.key(name, indent)
                guard indented[key] == nil, let partial = templates[name] else { continue }
                let text = Self.indenting(partial.source, by: indent)
                let parsed = try Template(text, name: name + " (indented)")
                indented[key] = parsed
                work.append((parsed, depth + 1))
            }
        }
        self.indented = indented
    }

    static let maximumIndentedDepth = 8

    static func key(_ name: String, _ indent: [UInt8]) -> String { String(decoding: indent, as: UTF8.self) + "\u{0}" + name }

    /// `text` with `indent` in front of each line that has something on it.
    static func indenting(_ text: String, by indent: [UInt8]) -> String {
        var out: [UInt8] = []
        var lineStart = true
        for byte in text.utf8 {
            if lineStart, byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") { out.append(contentsOf: indent) }
            out.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The partials that `nodes` (and their sections) include with an indentation.
    static func indentedPartials(_ nodes: [Node]) -> [(String, [UInt8])] {
        nodes.flatMap { node -> [(String, [UInt8])] in
            switch node {
            case .partial(let name, let indent) where !indent.isEmpty: [(name, indent)]
            case .section(_, let body), .inverted(_, let body): indentedPartials(body)
            default: []
            }
        }
    }

    /// The template `name` rendered with `context` (what `{{name}}` is looked up in: see `TemplateLookup`); nil when the
    /// library has no template of that name.
    public func render(_ context: Any, template name: String) -> String? {
        guard let template = templates[name] else { return nil }
        var renderer = Renderer(library: self, stack: [context])
        renderer.out.reserveCapacity(4096)
        renderer.render(template.nodes)
        return String(decoding: renderer.out, as: UTF8.self)
    }
}

extension TemplateLibrary {
    /// The stored property `name` of `value` (through `Mirror`), nil when it has none or it is a nil optional: how a
    /// template looks a name up in any value that is not a `TemplateLookup`.
    ///
    /// A struct's or class's properties are found by their position, remembered per type (``PropertyPositions``):
    /// reading a child through `Mirror` makes the runtime look up the field's type by its mangled name, so a search by
    /// label read every property before the one asked for, and every property of each enclosing context that lacked
    /// the name — 11.7 ms for the Installation page and 20.4 ms for Load Management in a release build (the web
    /// interface's goal: p99 ≤ 10 ms).
    public static func storedProperty(_ name: String, of value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard let positions = PropertyPositions.of(value, mirror) else {
            return mirror.children.first { $0.label == name }.flatMap { Renderer.unwrapped($0.value) }
        }
        guard let position = positions[name] else { return nil }
        let children = mirror.children
        return Renderer.unwrapped(children[children.index(children.startIndex, offsetBy: position)].value)
    }
}

/// The position of each stored property among a type's `Mirror` children, by label, found once per type. Only for
/// structs and classes without a custom mirror, whose children are the same stored properties for every value of the
/// type; an enum's children depend on its case, a collection's on its elements.
enum PropertyPositions {
    private static let known = Mutex<[ObjectIdentifier: [String: Int]]>([:])

    static func of(_ value: Any, _ mirror: Mirror) -> [String: Int]? {
        guard mirror.displayStyle == .struct || mirror.displayStyle == .class, !(value is any CustomReflectable) else { return nil }
        let type = ObjectIdentifier(Swift.type(of: value))
        if let positions = known.withLock({ $0[type] }) { return positions }
        var positions: [String: Int] = [:]
        for (i, child) in mirror.children.enumerated() {
            if let label = child.label, positions[label] == nil { positions[label] = i }
        }
        known.withLock { $0[type] = positions }
        return positions
    }
}

/// A value whose names a template looks up itself, rather than through its stored properties (`Mirror`): a
/// dictionary by its keys, or a page's context that puts shared values over the page's own.
public protocol TemplateLookup {
    /// The value of `name`, nil when it has none (the template then looks in the enclosing contexts).
    func templateValue(named name: String) -> Any?
}

extension Dictionary: TemplateLookup where Key == String {
    public func templateValue(named name: String) -> Any? { self[name].map { $0 } }
}

/// A value a section repeats over, once per element (sections.yml "List"): arrays.
protocol TemplateList {
    var templateElements: [Any] { get }
}

extension Array: TemplateList {
    var templateElements: [Any] { map { $0 } }
}

/// An optional's value, to look through it.
protocol OptionalValue {
    var wrappedValue: Any? { get }
}

extension Optional: OptionalValue {
    var wrappedValue: Any? { map { $0 } }
}

/// Renders nodes into UTF-8 bytes with a stack of contexts (specs: "context stack").
struct Renderer {
    let library: TemplateLibrary
    var stack: [Any]
    var out: [UInt8] = []

    /// sections.yml: a section renders its body once for `true` (same context), once per element of an array (the
    /// element on top), once with any other value on top, and not at all for `false`, nil or an empty array;
    /// inverted.yml: an inverted section renders exactly when the section would not. A partial renders in the current
    /// context (partials.yml), in its indented form when its tag stood alone with whitespace before it.
    mutating func render(_ nodes: [Node]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                out.append(contentsOf: bytes)
            case .variable(let name, let escaped):
                guard let value = lookup(name) else { continue }
                let text = Self.text(value)
                if escaped { Self.escapeHTML(text, into: &out) } else { out.append(contentsOf: text.utf8) }
            case .section(let name, let body):
                let value = lookup(name)
                switch value {
                case nil: continue
                case let flag as Bool:
                    if flag { render(body) }
                case let list as any TemplateList:
                    for element in list.templateElements {
                        stack.append(element)
                        render(body)
                        stack.removeLast()
                    }
                case let value?:
                    stack.append(value)
                    render(body)
                    stack.removeLast()
                }
            case .inverted(let name, let body):
                let value = lookup(name)
                let falsey = switch value {
                case nil: true
                case let flag as Bool: !flag
                case let list as any TemplateList: list.templateElements.isEmpty
                default: false
                }
                if falsey { render(body) }
            case .partial(let name, let indent):
                let partial = indent.isEmpty ? library.templates[name] : library.indented[TemplateLibrary.key(name, indent)] ?? library.templates[name]
                if let partial { render(partial.nodes) }
            }
        }
    }

    /// interpolation.yml "Dotted Names": the first part is looked up in the context stack from the innermost context
    /// out, the others only in what the previous part found ("Broken Chains" resolve to nothing); `.` is the
    /// innermost context ("Implicit Iterators").
    func lookup(_ name: Name) -> Any? {
        guard let first = name.parts.first else { return stack.last }
        var found: Any?
        for context in stack.reversed() {
            if let value = Self.child(first, of: context) { found = value; break }
        }
        for part in name.parts.dropFirst() {
            guard let value = found else { return nil }
            found = Self.child(part, of: value)
        }
        return found
    }

    /// `name` in `value`: a `TemplateLookup`'s own answer, or the stored property of that name; an optional that is
    /// nil counts as no value.
    static func child(_ name: String, of value: Any) -> Any? {
        if let lookup = value as? any TemplateLookup { return lookup.templateValue(named: name).flatMap(unwrapped) }
        return TemplateLibrary.storedProperty(name, of: value)
    }

    static func unwrapped(_ value: Any) -> Any? {
        guard let optional = value as? any OptionalValue else { return value }
        return optional.wrappedValue.flatMap(unwrapped)
    }

    /// A value as text: a string as it is, anything else as Swift describes it (`85`, `1.21`, `true`); an optional's
    /// value, nothing for nil.
    static func text(_ value: Any) -> String {
        if let string = value as? String { return string }
        if value is any OptionalValue { return unwrapped(value).map(text) ?? "" }
        if let substring = value as? Substring { return String(substring) }
        return String(describing: value)
    }

    /// interpolation.yml "HTML Escaping": `&`, `"`, `<` and `>` become `&amp;`, `&quot;`, `&lt;`, `&gt;`; the
    /// apostrophe becomes `&#39;` as well (mustache(5) only says "HTML escaped"), so that a value is also safe in an
    /// attribute written with single quotes.
    static func escapeHTML(_ text: String, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
            case UInt8(ascii: "\""): out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])  // &quot;
            case UInt8(ascii: "<"): out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
            case UInt8(ascii: ">"): out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
            case UInt8(ascii: "'"): out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B])  // &#39;
            default: out.append(byte)
            }
        }
    }
}
