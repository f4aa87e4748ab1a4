#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The JSON form of the V2G messages that EXIficient's EXICodec (the oracle Josev uses) reads and writes:
/// `{"V2G_Message": {"Header": {...}, "Body": {...}}}` — an element is an object of its attributes, its children (an
/// array where the grammar lets the element repeat) and "value" for simple content beside attributes; an element of
/// simple type alone is its value (numbers, booleans, strings, hexBinary as upper-case hex, base64Binary as base64).
/// Used by `chargekit v2g-exi` and the oracle tests; the SECC itself works on the typed messages.
public enum EXIJSON {
    // MARK: Node → JSON

    public static func render(_ node: EXINode, pretty: Bool = false) -> String {
        var out = ""
        EXIJSONValue.object([node.name.localName: content(node)]).write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    static func content(_ node: EXINode) -> EXIJSONValue {
        if node.attributes.isEmpty && node.children.isEmpty && !node.objectForm {
            if let v = node.value { return scalar(v) }
            return .object([:])
        }
        var dict: [String: EXIJSONValue] = [:]
        for a in node.attributes { dict[a.name] = scalar(a.value) }
        if let v = node.value { dict["value"] = scalar(v) }
        for c in node.children {
            let key = c.name.localName
            if c.repeatable {
                var list = dict[key]?.array ?? []
                list.append(content(c))
                dict[key] = .array(list)
            } else {
                dict[key] = content(c)
            }
        }
        return .object(dict)
    }

    static func scalar(_ v: EXIValue) -> EXIJSONValue {
        switch v {
        case .string(let s): .string(s)
        case .boolean(let b): .bool(b)
        case .integer(let i): .integer(i)
        case .unsigned(let u): .unsigned(u)
        case .binary(let b): .string(EXIHex.encode(b))
        case .base64Binary(let b): .string(EXIBase64.encode(b))
        }
    }

    // MARK: JSON → node

    /// Parses the oracle's JSON form of a document (or fragment) root of `schema`, following its grammars: keys are
    /// matched to the productions, so their order in the text does not matter; an unknown key is an error.
    public static func node(from text: String, schema: EXISchema, fragment: Bool = false) throws -> EXINode {
        guard let json = try? JSONDecoder().decode(EXIJSONValue.self, from: Data(text.utf8)),
            case .object(let dict) = json, dict.count == 1, let (key, body) = dict.first
        else { throw EXIError(bitPosition: 0, "JSON: expected an object with one key, the root element") }
        let roots = fragment ? schema.fragmentElements : schema.documentElements
        guard let root = roots.first(where: { schema.qnames[$0.qname].localName == key && $0.start >= 0 }) else {
            throw EXIError(bitPosition: 0, "JSON: \(key) is not a \(fragment ? "fragment" : "document") root of the \(schema.name) schema")
        }
        return try build(body, q: root.qname, start: root.start, repeatable: false, schema: schema, path: key)
    }

    static func build(_ json: EXIJSONValue, q: Int, start: Int, repeatable: Bool, schema: EXISchema, path: String) throws -> EXINode {
        var node = EXINode(schema.qnames[q], repeatable: repeatable)
        guard case .object(let dict) = json else {
            guard let ch = schema.states[start].first(where: { $0.kind == .characters }) else {
                throw EXIError(bitPosition: 0, "JSON \(path): a value where the schema expects an element with content")
            }
            node.value = try value(json, schema.datatypes[ch.argument], path: path)
            return node
        }
        var used = Set<String>()
        var taken: [String: Int] = [:]
        func items(_ key: String) -> [EXIJSONValue] {
            guard let v = dict[key] else { return [] }
            if let list = v.array { return list }
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
                node.value = .string(dict["value"]!.text)
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

    static func value(_ json: EXIJSONValue, _ type: EXIDatatype, path: String) throws -> EXIValue {
        func bad() -> EXIError { EXIError(bitPosition: 0, "JSON \(path): \(json.text) does not fit \(type)") }
        switch type {
        case .string, .enumeration:
            guard case .string(let s) = json else { throw bad() }
            return .string(s)
        case .boolean:
            if case .bool(let b) = json { return .boolean(b) }
            if case .string(let s) = json, s == "true" || s == "false" { return .boolean(s == "true") }
            throw bad()
        case .boundedInteger, .integer:
            // Integers are kept as integers when parsed: a double would round them beyond 2^53 (xs:long time stamps).
            if case .integer(let i) = json { return .integer(i) }
            if case .string(let s) = json, let i = Int64(s) { return .integer(i) }
            throw bad()
        case .unsignedInteger:
            if case .integer(let i) = json, i >= 0 { return .unsigned(UInt64(i)) }
            if case .unsigned(let u) = json { return .unsigned(u) }
            if case .string(let s) = json, let u = UInt64(s) { return .unsigned(u) }
            throw bad()
        case .binary(let base64, _, _):
            guard case .string(let s) = json else { throw bad() }
            if base64 {
                guard let b = EXIBase64.decode(s) else { throw bad() }
                return .base64Binary(b)
            }
            guard let b = EXIHex.decode(s) else { throw bad() }
            return .binary(b)
        }
    }
}
