/// A parsed Mustache template: the web interface's pages are written in Mustache (mustache(5), "Logic-less
/// templates", and the Mustache specification v1.x, github.com/mustache/spec, `specs/*.yml`). This is the part of the
/// language the pages use, written from those two documents: interpolation (`{{name}}`, HTML-escaped; `{{{name}}}` and
/// `{{&name}}` as they are), dotted names and the implicit iterator `{{.}}` (interpolation.yml), sections and inverted
/// sections (sections.yml, inverted.yml), comments (comments.yml), partials with their indentation (partials.yml), and
/// the removal of standalone lines that every one of those tag types but interpolation has. Set Delimiter tags
/// (delimiters.yml) and the optional modules (lambdas, inheritance, dynamic names) are refused with an error: no page
/// uses them, and a template that did would otherwise render differently from what its author meant.
///
/// A template is parsed once (the web interface parses every page at start-up) and rendered many times; a template
/// that cannot be parsed gives a `TemplateError` with its line and column.
public struct Template: Sendable {
    /// The template's nodes, in order.
    let nodes: [Node]
    /// The text it was parsed from (a partial included with indentation is parsed again from it, indented).
    let source: String
    /// The partials the template (and its sections) include, with where each is first named, for the library's check.
    let partials: [String: (line: Int, column: Int)]

    /// Parses `text`. `name` only goes into the error.
    public init(_ text: String, name: String = "template") throws(TemplateError) {
        source = text
        var parser = TemplateParser(text: Array(text.utf8), name: name)
        let tokens = try parser.tokenize()
        var index = 0
        var partials: [String: (line: Int, column: Int)] = [:]
        nodes = try TemplateParser.tree(tokens, from: &index, section: nil, partials: &partials, name: name)
        self.partials = partials
    }
}

/// Why a template could not be parsed: which template, where (line and column, from 1) and what is wrong.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var template: String
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "template \(template), line \(line), column \(column): \(message)" }
}

/// One element of a parsed template.
enum Node: Sendable {
    case text([UInt8])
    /// `{{name}}` (escaped) or `{{{name}}}` / `{{&name}}` (not escaped).
    case variable(Name, escaped: Bool)
    case section(Name, [Node])
    case inverted(Name, [Node])
    /// `{{>name}}`; `indent` is the whitespace before a standalone partial tag, put in front of each of the partial's
    /// lines (partials.yml "Standalone Indentation").
    case partial(String, indent: [UInt8])
}

/// A tag's name: `.` (the implicit iterator) or a dotted name, split at its dots.
struct Name: Sendable {
    /// Empty for `.`.
    let parts: [String]
    var isImplicitIterator: Bool { parts.isEmpty }
}

/// The flat tokens of the template text before standalone lines are removed and sections nested.
struct TemplateParser {
    enum Kind: Equatable {
        case variable, unescaped, section, inverted, close, comment, partial

        /// The tag types whose line is removed when the tag stands alone on it (specs: "Standalone Lines"); never
        /// interpolation.
        var canStandAlone: Bool { self != .variable && self != .unescaped }
    }

    struct Tag {
        var kind: Kind
        var name: String
        var line: Int
        var column: Int
        /// A standalone partial's indentation.
        var indent: [UInt8] = []
    }

    enum Token {
        case text(ArraySlice<UInt8>)
        case tag(Tag)
    }

    let text: [UInt8]
    let name: String
    var position = 0
    /// The last offset `location` counted to, and its line and column (tags come in order).
    var counted = (offset: 0, line: 1, column: 1)

    static let open: [UInt8] = Array("{{".utf8)
    static let close: [UInt8] = Array("}}".utf8)

    /// Line and column (in characters) of `offset`, from 1.
    mutating func location(_ offset: Int) -> (line: Int, column: Int) {
        if offset < counted.offset { counted = (0, 1, 1) }
        var (line, column) = (counted.line, counted.column)
        for byte in text[counted.offset..<min(offset, text.count)] {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        counted = (offset, line, column)
        return (line, column)
    }

    mutating func error(_ message: String, at offset: Int) -> TemplateError {
        let (line, column) = location(offset)
        return TemplateError(template: name, line: line, column: column, message: message)
    }

    func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var i = start
        while i + needle.count <= text.count {
            if text[i] == needle[0], text[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Text and tags, with the standalone lines' whitespace and line ends already removed.
    mutating func tokenize() throws(TemplateError) -> [Token] {
        var tokens: [Token] = []
        while position < text.count {
            guard let start = find(Self.open, from: position) else {
                tokens.append(.text(text[position...]))
                break
            }
            if start > position { tokens.append(.text(text[position..<start])) }
            tokens.append(.tag(try tag(at: start)))
        }
        return Self.removingStandaloneLines(tokens)
    }

    /// The tag that starts at `start` (`{{`); moves past it.
    mutating func tag(at start: Int) throws(TemplateError) -> Tag {
        var i = start + 2
        guard i < text.count else { throw error("a tag is not closed with }}", at: start) }
        let kind: Kind
        var closing = Self.close
        switch text[i] {
        case UInt8(ascii: "{"): kind = .unescaped; closing = Array("}}}".utf8); i += 1
        case UInt8(ascii: "&"): kind = .unescaped; i += 1
        case UInt8(ascii: "#"): kind = .section; i += 1
        case UInt8(ascii: "^"): kind = .inverted; i += 1
        case UInt8(ascii: "/"): kind = .close; i += 1
        case UInt8(ascii: "!"): kind = .comment; i += 1
        case UInt8(ascii: ">"): kind = .partial; i += 1
        case UInt8(ascii: "="): throw error("Set Delimiter tags are not supported", at: start)
        case UInt8(ascii: "<"), UInt8(ascii: "$"): throw error("template inheritance is not supported", at: start)
        default: kind = .variable
        }
        guard let end = find(closing, from: i) else {
            throw error("a tag is not closed with \(String(decoding: closing, as: UTF8.self))", at: start)
        }
        position = end + closing.count
        let (line, column) = location(start)
        if kind == .comment { return Tag(kind: .comment, name: "", line: line, column: column) }
        let content = String(decoding: text[i..<end], as: UTF8.self).trimmingWhitespace
        guard Self.isValidName(content, partial: kind == .partial) else {
            throw error("\"\(content)\" is not a valid tag name", at: start)
        }
        return Tag(kind: kind, name: content, line: line, column: column)
    }

    /// A name is `.`, or dot-separated parts of letters, digits, `_` and `-`; a partial's name has no dots either way.
    static func isValidName(_ name: String, partial: Bool) -> Bool {
        if name == "." { return !partial }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return !name.isEmpty && (!partial || parts.count == 1) && parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
            }
        }
    }

    static func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }

    /// specs "Standalone Lines": a line that holds nothing but whitespace and one section, inverted section, closing,
    /// comment or partial tag is removed from the output, its line end too; a standalone partial's whitespace becomes
    /// its indentation. A line begins after a line end (`\n`, `\r\n`) or at the template's start and ends at a line end
    /// or the template's end.
    static func removingStandaloneLines(_ tokens: [Token]) -> [Token] {
        let newline = UInt8(ascii: "\n")
        // Text before a tag: whitespace after the last line end (or the whole of the first text).
        func blankTail(_ i: Int) -> Int? {
            guard i >= 0 else { return 0 }
            guard case .text(let s) = tokens[i] else { return nil }
            var j = s.endIndex
            while j > s.startIndex, isBlank(s[j - 1]) { j -= 1 }
            if j == s.startIndex { return i == 0 ? s.count : nil }
            return s[j - 1] == newline ? s.endIndex - j : nil
        }
        // Text after a tag: whitespace up to and with the first line end (or the whole of the last text).
        func blankHead(_ i: Int) -> Int? {
            guard i < tokens.count else { return 0 }
            guard case .text(let s) = tokens[i] else { return nil }
            var j = s.startIndex
            while j < s.endIndex, isBlank(s[j]) { j += 1 }
            if j == s.endIndex { return i == tokens.count - 1 ? s.count : nil }
            if s[j] == newline { return j + 1 - s.startIndex }
            if s[j] == UInt8(ascii: "\r"), j + 1 < s.endIndex, s[j + 1] == newline { return j + 2 - s.startIndex }
            return nil
        }
        var cutFront = [Int](repeating: 0, count: tokens.count)
        var cutBack = [Int](repeating: 0, count: tokens.count)
        var indents: [Int: [UInt8]] = [:]
        for (i, token) in tokens.enumerated() {
            guard case .tag(let tag) = token, tag.kind.canStandAlone,
                  let before = blankTail(i - 1), let after = blankHead(i + 1) else { continue }
            if i > 0 {
                cutBack[i - 1] = before
                if tag.kind == .partial, case .text(let s) = tokens[i - 1] { indents[i] = Array(s.suffix(before)) }
            }
            if i + 1 < tokens.count { cutFront[i + 1] = after }
        }
        return tokens.enumerated().compactMap { i, token in
            switch token {
            case .text(let s):
                let start = s.startIndex + cutFront[i], end = max(start, s.endIndex - cutBack[i])
                return start < end ? .text(s[start..<end]) : nil
            case .tag(var tag):
                tag.indent = indents[i] ?? []
                return .tag(tag)
            }
        }
    }

    /// Nests the tokens from `index` until the closing tag of `section` (or the end for the template itself).
    static func tree(_ tokens: [Token], from index: inout Int, section: (name: String, line: Int, column: Int)?,
                     partials: inout [String: (line: Int, column: Int)], name: String) throws(TemplateError) -> [Node] {
        var nodes: [Node] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .text(let s):
                nodes.append(.text(Array(s)))
            case .tag(let tag):
                let (kind, tagName, line, column) = (tag.kind, tag.name, tag.line, tag.column)
                switch kind {
                case .comment:
                    break
                case .variable, .unescaped:
                    nodes.append(.variable(Self.name(tagName), escaped: kind == .variable))
                case .section, .inverted:
                    let body = try tree(tokens, from: &index, section: (tagName, line, column), partials: &partials, name: name)
                    nodes.append(kind == .section ? .section(Self.name(tagName), body) : .inverted(Self.name(tagName), body))
                case .partial:
                    if partials[tagName] == nil { partials[tagName] = (line, column) }
                    nodes.append(.partial(tagName, indent: tag.indent))
                case .close:
                    guard let section else {
                        throw TemplateError(template: name, line: line, column: column, message: "{{/\(tagName)}} closes no section")
                    }
                    guard section.name == tagName else {
                        throw TemplateError(template: name, line: line, column: column,
                                            message: "{{/\(tagName)}} closes the section {{#\(section.name)}} of line \(section.line)")
                    }
                    return nodes
                }
            }
        }
        if let section {
            throw TemplateError(template: name, line: section.line, column: section.column, message: "the section {{#\(section.name)}} is not closed")
        }
        return nodes
    }

    static func name(_ text: String) -> Name {
        Name(parts: text == "." ? [] : text.split(separator: ".").map(String.init))
    }
}

extension String {
    /// Without the spaces, tabs and line ends around it (a tag's content: specs "Surrounding Whitespace" and
    /// "Padding": `{{ name }}` is `{{name}}`).
    var trimmingWhitespace: String {
        let u = Array(utf8)
        var a = 0, b = u.count
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        while a < b, blank(u[a]) { a += 1 }
        while b > a, blank(u[b - 1]) { b -= 1 }
        return String(decoding: u[a..<b], as: UTF8.self)
    }
}
