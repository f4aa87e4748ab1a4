import Foundation

/// The JSON form of the V2G messages that EXIficient's EXICodec (the oracle Josev uses) reads and writes:
/// `{"V2G_Message": {"Header": {...}, "Body": {...}}}` — an element is an object of its attributes, its children (an
/// array where the grammar lets the element repeat) and "value" for simple content beside attributes; an element of
/// simple type alone is its value (numbers, booleans, strings, hexBinary as upper-case hex, base64Binary as base64).
/// Used by `chargekit v2g-exi` and the oracle tests; the SECC itself works on the typed messages.
public enum EXIJSON {
    // MARK: Node → JSON

    public static func object(_ node: EXINode) -> [String: Any] { [node.name.localName: content(node)] }

    public static func render(_ node: EXINode, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        let data = (try? JSONSerialization.data(withJSONObject: object(node), options: options)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func content(_ node: EXINode) -> Any {
        if node.attributes.isEmpty && node.children.isEmpty && !node.objectForm {
            if let v = node.value { return scalar(v) }
            return [String: Any]()
        }
        var dict: [String: Any] = [:]
        for a in node.attributes { dict[a.name] = scalar(a.value) }
        if let v = node.value { dict["value"] = scalar(v) }
        for c in node.children {
            let key = c.name.localName
            if c.repeatable {
                var list = dict[key] as? [Any] ?? []
                list.append(content(c))
                dict[key] = list
            } else {
                dict[key] = content(c)
            }
        }
        return dict
    }

    static func scalar(_ v: EXIValue) -> Any {
        switch v {
        case .string(let s): return s
        case .boolean(let b): return b
        case .integer(let i): return NSNumber(value: i)
        case .unsigned(let u): return NSNumber(value: u)
        case .binary(let b): return EXIHex.encode(b)
        case .base64Binary(let b): return EXIBase64.encode(b)
        }
    }

    // MARK: JSON → node

    /// Parses the oracle's JSON form of a document (or fragment) root of `schema`, following its grammars: keys are
    /// matched to the productions, so their order in the text does not matter; an unknown key is an error.
    public static func node(from text: String, schema: EXISchema, fragment: Bool = false) throws -> EXINode {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
            let dict = json as? [String: Any], dict.count == 1, let (key, body) = dict.first
        else { throw EXIError(bitPosition: 0, "JSON: expected an object with one key, the root element") }
        let roots = fragment ? schema.fragmentElements : schema.documentElements
        guard let root = roots.first(where: { schema.qnames[$0.qname].localName == key && $0.start >= 0 }) else {
            throw EXIError(bitPosition: 0, "JSON: \(key) is not a \(fragment ? "fragment" : "document") root of the \(schema.name) schema")
        }
        return try build(body, q: root.qname, start: root.start, repeatable: false, schema: schema, path: key)
    }

    static func build(_ json: Any, q: Int, start: Int, repeatable: Bool, schema: EXISchema, path: String) throws -> EXINode {
        var node = EXINode(schema.qnames[q], repeatable: repeatable)
        guard let dict = json as? [String: Any] else {
            guard let ch = schema.states[start].first(where: { $0.kind == .characters }) else {
                throw EXIError(bitPosition: 0, "JSON \(path): a value where the schema expects an element with content")
            }
            node.value = try value(json, schema.datatypes[ch.argument], path: path)
            return node
        }
        var used = Set<String>()
        var taken: [String: Int] = [:]
        func items(_ key: String) -> [Any] {
            guard let v = dict[key] else { return [] }
            if let list = v as? [Any] { return list }
            return [v]
        }
        var state = start
        while true {
            let productions = schema.states[state]
            var chosen: EXIProduction?
            for p in productions {
                switch p.kind {
                case .attribute:
                    let k = schema.qnames[p.qname].localName
                    if dict[k] != nil, !used.contains(k) { chosen = p }
                case .characters, .untypedCharacters:
                    if dict["value"] != nil, !used.contains("value") { chosen = p }
                case .startElement:
                    let k = schema.qnames[p.qname].localName
                    if (taken[k] ?? 0) < items(k).count { chosen = p }
                case .endElement, .anyElement:
                    break
                }
                if chosen != nil { break }
            }
            guard let p = chosen ?? productions.first(where: { $0.kind == .endElement }) else {
                let wanted = productions.map { EXICodec.describe($0, schema) }.joined(separator: " | ")
                throw EXIError(bitPosition: 0, "JSON \(path): missing \(wanted)")
            }
            switch p.kind {
            case .endElement:
                let left = Set(dict.keys).subtracting(used).filter { (taken[$0] ?? 0) < items($0).count || taken[$0] == nil }
                guard left.isEmpty else {
                    throw EXIError(bitPosition: 0, "JSON \(path): \(left.sorted().joined(separator: ", ")) not allowed here (or out of order with the schema)")
                }
                return node
            case .attribute:
                let k = schema.qnames[p.qname].localName
                node.attributes.append(EXIAttribute(k, try value(dict[k]!, schema.datatypes[p.argument], path: "\(path)@\(k)")))
                used.insert(k)
            case .characters:
                node.value = try value(dict["value"]!, schema.datatypes[p.argument], path: path)
                used.insert("value")
            case .untypedCharacters:
                node.value = .string("\(dict["value"]!)")
                used.insert("value")
            case .startElement:
                let k = schema.qnames[p.qname].localName
                let i = taken[k] ?? 0
                var child = try build(items(k)[i], q: p.qname, start: p.argument, repeatable: p.repeated, schema: schema, path: "\(path).\(k)")
                child.objectForm = p.objectForm
                node.children.append(child)
                taken[k] = i + 1
                used.insert(k)
            case .anyElement:
                break
            }
            state = p.target
        }
    }

    static func value(_ json: Any, _ type: EXIDatatype, path: String) throws -> EXIValue {
        func bad() -> EXIError { EXIError(bitPosition: 0, "JSON \(path): \(json) does not fit \(type)") }
        switch type {
        case .string, .enumeration:
            guard let s = json as? String else { throw bad() }
            return .string(s)
        case .boolean:
            if let b = json as? Bool { return .boolean(b) }
            if let s = json as? String, s == "true" || s == "false" { return .boolean(s == "true") }
            throw bad()
        case .boundedInteger, .integer:
            // Through the number's text: a double would round integers beyond 2^53 (xs:long time stamps).
            if let n = json as? NSNumber, let i = Int64(n.stringValue) { return .integer(i) }
            if let s = json as? String, let i = Int64(s) { return .integer(i) }
            throw bad()
        case .unsignedInteger:
            if let n = json as? NSNumber, let u = UInt64(n.stringValue) { return .unsigned(u) }
            if let s = json as? String, let u = UInt64(s) { return .unsigned(u) }
            throw bad()
        case .binary(let base64, _, _):
            guard let s = json as? String else { throw bad() }
            if base64 {
                guard let b = EXIBase64.decode(s) else { throw bad() }
                return .base64Binary(b)
            }
            guard let b = EXIHex.decode(s) else { throw bad() }
            return .binary(b)
        }
    }
}
